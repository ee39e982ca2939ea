import Testing
import NNetRuntime

@Test func blobsDump() throws {
    let d = try Synthetic.blobs(n: 1000, centers: 2, seed: 1)
    print("BLOBS", d.features[0..<6].map { $0.bitPattern }, d.targets[0..<6], d.features.reduce(0, +), d.targets.reduce(0, +), d.features[1998], d.features[1999].bitPattern)
}
