#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns the terminal's echo off while a person types a key, so it never shows on screen (or in
/// a screen recording, or a terminal's scrollback). Does nothing when standard input is not a
/// terminal (a pipe or a file: nothing is echoed there anyway).
struct TerminalEcho: ~Copyable {
    let saved: termios?

    /// Echo off until ``restore()``.
    init() {
        var settings = termios()
        guard isatty(STDIN_FILENO) == 1, tcgetattr(STDIN_FILENO, &settings) == 0 else {
            saved = nil
            return
        }
        saved = settings
        settings.c_lflag &= ~tcflag_t(ECHO)
        _ = tcsetattr(STDIN_FILENO, TCSANOW, &settings)
    }

    var isTerminal: Bool { saved != nil }

    /// Echo back as it was.
    consuming func restore() {
        guard var settings = saved else { return }
        _ = tcsetattr(STDIN_FILENO, TCSANOW, &settings)
    }
}
