// Finite-difference cases for the convolutional layers, run by GradientCheckTests: strides,
// paddings (valid, same, explicit), dilation, 1x1 kernels, transposed convolutions with and
// without output padding, pooling, upsampling, normalisation and multi-input layers.
// tanh rather than relu before pooling: ties between relu's zeros would make max pooling's
// gradient jump under the ±1e-3 steps.

enum ConvolutionGradientCases {
    static let cases: [GradientCase] = [
        GradientCase(name: "conv2d same and strided with explicit padding, max pool (same), dense", layers: """
            input [6, 6, 2]
            conv2d 3, kernel: 3, padding: same, activation: tanh
            conv2d 4, kernel: [2, 3], stride: 2, padding: 1, activation: tanh
            max_pool2d 2, padding: same
            flatten
            dense 3, activation: softmax
            """, loss: .sparseCategoricalCrossEntropy),
        GradientCase(name: "dilated conv2d, overlapping avg pool, 1x1 conv2d, global avg pool", layers: """
            input [5, 4, 2]
            conv2d 3, kernel: 2, dilation: 2, activation: tanh
            avg_pool2d 2, stride: 1, padding: same
            conv2d 4, kernel: 1, activation: sigmoid
            max_pool2d [2, 1], stride: 1
            global_avg_pool2d
            dense 2
            """, loss: .meanSquaredError),
        GradientCase(name: "conv2d_transpose (same, valid + output padding), bilinear and nearest upsampling", layers: """
            input [3, 3, 2]
            conv2d_transpose 3, kernel: 3, stride: 2, padding: same, activation: tanh
            upsampling2d 2, interpolation: bilinear
            conv2d 2, kernel: 3, stride: 3
            conv2d_transpose 2, kernel: 2, stride: 2, output_padding: 1, activation: tanh
            upsampling2d [1, 2]
            global_avg_pool2d
            dense 1
            """, loss: .meanSquaredError),
        GradientCase(name: "batch_norm and layer_norm between convolutions", layers: """
            input [4, 4, 2]
            conv2d 3, kernel: 3, padding: same
            batch_norm momentum: 0.9
            activation tanh
            layer_norm
            flatten
            dense 3, activation: softmax
            """, loss: .categoricalCrossEntropy),
        GradientCase(name: "add and concat of earlier layers (and the input), batch_norm on a vector", layers: """
            input [4, 4, 2]
            a: conv2d 3, kernel: 3, padding: same, activation: tanh
            b: conv2d 3, kernel: 1, activation: tanh
            s: add [a, b]
            c: concat [s, a, input]
            concat [c, c], axis: 0
            global_avg_pool2d
            batch_norm
            dense 2
            """, loss: .meanSquaredError),
    ]
}
