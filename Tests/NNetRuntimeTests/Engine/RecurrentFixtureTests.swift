// The recurrent layers against PyTorch: Tests/Fixtures/rnn/*.json, written by
// Tests/Fixtures/make_rnn_fixtures.py, hold inputs, weights (in nnet's layout), the output, the
// MSE loss and its gradients computed in float64. Both engines must agree within 1e-4.

import Foundation
import Testing
import NNetIR
import NNetRuntime

extension PyTorchFixture {
    static var rnn: [PyTorchFixture] { all(in: "rnn") }
}

@Suite struct RecurrentFixtureTests {
    @Test func thereAreFixturesForEveryCell() {
        let names = PyTorchFixture.rnn.map(\.name)
        for cell in ["simple_rnn", "lstm", "gru", "embedding"] {
            #expect(names.contains { $0.hasPrefix(cell) }, "no fixture for \(cell) in \(PyTorchFixture.directory("rnn").path)")
        }
    }

    @Test(arguments: PyTorchFixture.rnn, [false, true])
    func agreesWithPyTorch(_ fixture: PyTorchFixture, reference: Bool) throws {
        try fixture.expectAgreement(reference: reference)
    }
}
