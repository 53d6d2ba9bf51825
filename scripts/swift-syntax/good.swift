// A file the checker must accept: constructs the shim and uniffi's output use.
import Foundation

#if swift(>=5.8)
@_documentation(visibility: private)
#endif
public struct Sample: Equatable {
    #if targetEnvironment(simulator)
    public static let onSimulator = true
    #else
    public static let onSimulator = false
    #endif
    public var name: String

    public func greet() async throws -> String {
        let write = { () }
        write()
        return "hello \(name)"
    }
}
