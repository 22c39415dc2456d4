import AegisChat
import Foundation

/// Serializes everything the shell prints, so lines from concurrent rotations never interleave.
public actor TerminalOutput {
    let handle: FileHandle

    public init(handle: FileHandle = .standardOutput) { self.handle = handle }

    /// Writes a line; control characters are shown, not obeyed (``UserText/terminal(_:)``).
    public func write(_ text: String) {
        let safe = UserText.terminal(text)
        handle.write(Data((safe.hasSuffix("\n") ? safe : safe + "\n").utf8))
    }
}
