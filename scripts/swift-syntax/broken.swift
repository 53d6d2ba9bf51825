// A file the checker must reject: a typo on line 6 (a `)` left out).
import Foundation

public struct Sample {
    public func greet(name: String) -> String {
        let count = (name.count + 2
        return "hello \(name) \(count)"
    }
}
