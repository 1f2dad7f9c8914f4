import CGLFW
import Foundation

/// Why the viewer could not show a window.
public enum ViewerError: Error, CustomStringConvertible, Equatable {
    case noDisplay(String)

    public var description: String {
        switch self {
        case .noDisplay(let reason):
            "no display: \(reason). Run under a virtual display (xvfb-run -a reverie view …, with --screenshot PATH "
                + "--frames N to save what it shows), or record a GIF instead: reverie eval RUN --record out.gif"
        }
    }
}

/// Keys pressed since the last poll (GLFW calls back with no context; one viewer window at a time).
nonisolated(unsafe) private var pressedKeys: [Int32] = []

/// A GLFW window showing `Raster`s pixel for pixel (scaled to the
/// framebuffer, e.g. on HiDPI screens), with legacy OpenGL's glDrawPixels.
final class Window {
    private let handle: OpaquePointer

    /// - Parameter visible: false makes a hidden window (screenshots without showing anything).
    init(title: String, width: Int, height: Int, visible: Bool) throws {
        guard glfwInit() == GLFW_TRUE else {
            let display = ProcessInfo.processInfo.environment["DISPLAY"]
            throw ViewerError.noDisplay(display == nil ? "DISPLAY is not set" : "GLFW could not open display \(display!)")
        }
        glfwWindowHint(GLFW_RESIZABLE, GLFW_FALSE)
        glfwWindowHint(GLFW_VISIBLE, visible ? GLFW_TRUE : GLFW_FALSE)
        guard let window = glfwCreateWindow(Int32(width), Int32(height), title, nil, nil) else {
            glfwTerminate()
            throw ViewerError.noDisplay("GLFW could not create a \(width)×\(height) window with OpenGL")
        }
        handle = window
        glfwMakeContextCurrent(window)
        glfwSwapInterval(1)   // draw at the display's rate
        pressedKeys = []
        glfwSetKeyCallback(window) { _, key, _, action, _ in
            if action == GLFW_PRESS || action == GLFW_REPEAT { pressedKeys.append(key) }
        }
    }

    deinit {
        glfwDestroyWindow(handle)
        glfwTerminate()
    }

    var shouldClose: Bool { glfwWindowShouldClose(handle) != 0 }

    func close() { glfwSetWindowShouldClose(handle, GLFW_TRUE) }

    /// Seconds since GLFW started.
    var time: Double { glfwGetTime() }

    /// The primary monitor's refresh rate in Hz (60 where it does not say, as under Xvfb).
    var refreshRate: Double {
        guard let monitor = glfwGetPrimaryMonitor(), let mode = glfwGetVideoMode(monitor), mode.pointee.refreshRate > 0 else { return 60 }
        return Double(mode.pointee.refreshRate)
    }

    /// Processes window events and returns the keys pressed since the last call.
    func pollKeys() -> [Int32] {
        glfwPollEvents()
        defer { pressedKeys = [] }
        return pressedKeys
    }

    /// What the window's back buffer holds, top row first, if it has the
    /// raster's size: the picture `show` drew, read back from OpenGL before
    /// the buffers swap.
    func read(width: Int, height: Int) -> [UInt8]? {
        var (fw, fh): (Int32, Int32) = (0, 0)
        glfwGetFramebufferSize(handle, &fw, &fh)
        guard Int(fw) == width, Int(fh) == height else { return nil }
        var bottomUp = [UInt8](repeating: 0, count: width * height * 3)
        glPixelStorei(GLenum(GL_PACK_ALIGNMENT), 1)
        glReadBuffer(GLenum(GL_BACK))
        bottomUp.withUnsafeMutableBytes { glReadPixels(0, 0, GLsizei(width), GLsizei(height), GLenum(GL_RGB), GLenum(GL_UNSIGNED_BYTE), $0.baseAddress) }
        var topDown = [UInt8](repeating: 0, count: bottomUp.count)
        let row = width * 3
        for y in 0..<height { topDown[(y * row)..<((y + 1) * row)] = bottomUp[((height - 1 - y) * row)..<((height - y) * row)] }
        return topDown
    }

    /// Draws `raster` to fill the window and shows it.
    func show(_ raster: Raster) {
        var (fw, fh): (Int32, Int32) = (0, 0)
        glfwGetFramebufferSize(handle, &fw, &fh)
        glViewport(0, 0, fw, fh)
        glClearColor(0, 0, 0, 1)
        glClear(GLbitfield(GL_COLOR_BUFFER_BIT))
        // The raster's top row first: start at the top-left corner and zoom downwards.
        glRasterPos2f(-1, 1)
        glPixelZoom(Float(fw) / Float(raster.width), -Float(fh) / Float(raster.height))
        glPixelStorei(GLenum(GL_UNPACK_ALIGNMENT), 1)
        raster.pixels.withUnsafeBytes { glDrawPixels(GLsizei(raster.width), GLsizei(raster.height), GLenum(GL_RGB), GLenum(GL_UNSIGNED_BYTE), $0.baseAddress) }
        glFinish()
        if readBack { lastShown = read(width: raster.width, height: raster.height) }
        glfwSwapBuffers(handle)
    }

    /// Set `readBack` to keep what each `show` drew in `lastShown` (screenshots).
    var readBack = false
    private(set) var lastShown: [UInt8]?
}
