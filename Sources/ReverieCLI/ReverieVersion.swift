import CBLAS
import CGLFW
import CZeroMQ
import ReverieCore

/// The version line of `reverie --version`, with the native libraries this
/// binary actually linked against (read from them at run time).
enum ReverieVersion {
    static let number = "0.1.0"

    static var description: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        let openblas = String(cString: openblas_get_config())
        let glfw = String(cString: glfwGetVersionString())
        return """
            reverie \(number)
            OpenBLAS \(openblas)
            OpenBLAS kernels: \(BLASKernels.coreName) (\(BLASKernels.reason))
            matrix products: \(ProductKernel.current.description)
            ZeroMQ \(major).\(minor).\(patch)
            GLFW \(glfw)
            """
    }
}
