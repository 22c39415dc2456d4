import Foundation

/// Serializes everything the shell prints, so lines from concurrent rotations never interleave.
public actor TerminalOutput {
    let handle: FileHandle

    public init(handle: FileHandle = .standardOutput) { self.handle = handle }

    public func write(_ text: String) {
        handle.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}
