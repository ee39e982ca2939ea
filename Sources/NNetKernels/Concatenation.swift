// Strided block copies: concatenation along an axis and its gradient (the matching slice).
// Stage: kernels. A tensor split at axis a is `count` blocks of `length` contiguous floats
// (count = batch × the dimensions before a, length = the axis size × the dimensions after it).

extension Kernels {
    /// destination[i·destinationStride ..< + length] = source[i·sourceStride ..< + length] for
    /// i in 0..<count. Concatenation writes each input at its offset in the output's blocks; the
    /// gradient reads the same blocks back.
    public static func copyBlocks(_ source: UnsafePointer<Float>, sourceStride: Int,
                                  into destination: UnsafeMutablePointer<Float>, destinationStride: Int,
                                  length: Int, count: Int) {
        if sourceStride == length && destinationStride == length {
            copy(source, into: destination, count: length * count)
            return
        }
        for i in 0..<count {
            copySmall(source + i * sourceStride, destination + i * destinationStride, length)
        }
    }
}
