// The convolutional layers against PyTorch: Tests/Fixtures/conv/*.json, written by
// Tests/Fixtures/make_conv_fixtures.py, hold a model's layers, inputs, weights (in nnet's layout),
// the output, the MSE loss and its gradients computed in float64, and batch_norm's running
// statistics after the step. The fast and the reference engine must both agree within 1e-4.

import Foundation
import Testing
import NNetIR
import NNetRuntime

extension PyTorchFixture {
    static var conv: [PyTorchFixture] { all(in: "conv") }
}

@Suite struct ConvolutionFixtureTests {
    @Test func thereAreFixturesForEveryLayer() throws {
        let layers = try PyTorchFixture.conv.flatMap { try $0.load()["layers"] as! [String] }.joined(separator: "\n")
        for kind in ["conv2d ", "conv2d_transpose", "max_pool2d", "avg_pool2d", "global_avg_pool2d", "upsampling2d",
                     "bilinear", "batch_norm", "layer_norm", "add [", "concat ["] {
            #expect(layers.contains(kind), "no fixture uses \(kind) (\(PyTorchFixture.directory("conv").path))")
        }
    }

    @Test(arguments: PyTorchFixture.conv, [false, true])
    func agreesWithPyTorch(_ fixture: PyTorchFixture, reference: Bool) throws {
        let engine = reference ? "reference" : "fast"
        let (json, model, parameters) = try fixture.expectAgreement(reference: reference)
        #expect(json["input_gradient"] is [Double], "\(fixture): every convolutional fixture checks the input gradient")
        for (name, expected) in json["running_statistics"] as! [String: [Double]] {
            let index = try #require(model.parameters.firstIndex { $0.name == name })
            fixture.expectClose(parameters.pointer(index), expected.map(Float.init), "\(engine): \(name)")
        }
    }
}
