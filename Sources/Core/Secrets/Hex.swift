/// Lowercase hexadecimal, for digests (plan digests, audit hashes, ACL password hashes).
/// A lookup per nibble instead of `String(format: "%02x")` per byte, which goes through
/// CoreFoundation's formatter for every byte.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var characters: [UInt8] = []
        characters.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: characters, as: UTF8.self)
    }
}
