/// The XML that Query-protocol services answer with, read by hand: elements, text, the five
/// predefined entities and character references, CDATA, comments and processing instructions.
/// A DOCTYPE (and so any entity declaration) is refused: AWS never sends one.
///
/// Not Foundation's `XMLParser`: it leaks on every malformed document (found by `FuzzAWSXML`,
/// docs/fuzzing.md) and links libxml2 and ICU into the bot for a handful of small answers.
struct XMLReader {
    static let maximumDepth = 64
    static let maximumBytes = 8 << 20

    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() -> XMLTree? {
        guard bytes.count <= Self.maximumBytes else { return nil }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        var stack: [(tree: XMLTree, text: [UInt8])] = []
        var root: XMLTree?
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else {
                let start = index
                while index < bytes.count, bytes[index] != UInt8(ascii: "<") { index += 1 }
                if stack.isEmpty {
                    guard bytes[start..<index].allSatisfy(Self.isSpace) else { return nil }
                } else {
                    guard let text = Self.decodeEntities(bytes[start..<index]) else { return nil }
                    stack[stack.count - 1].text += text
                }
                continue
            }
            if skip("<!--") {
                guard skip(through: Array("-->".utf8)) else { return nil }
            } else if skip("<![CDATA[") {
                guard !stack.isEmpty, let end = find(Array("]]>".utf8)) else { return nil }
                stack[stack.count - 1].text += bytes[index..<end]
                index = end + 3
            } else if skip("<?") {
                guard skip(through: Array("?>".utf8)) else { return nil }
            } else if skip("<!") {
                return nil
            } else if skip("</") {
                guard let name = readName(), var (node, text) = stack.popLast(), node.name == name else { return nil }
                skipSpaces()
                guard skip(">") else { return nil }
                node.text = Self.trimmed(String(decoding: text, as: UTF8.self))
                if stack.isEmpty {
                    guard root == nil else { return nil }
                    root = node
                } else {
                    stack[stack.count - 1].tree.children.append(node)
                }
            } else {
                index += 1
                guard root == nil, stack.count < Self.maximumDepth, let name = readName(), let selfClosing = skipAttributes() else { return nil }
                let node = XMLTree(name: name, text: "", children: [])
                if !selfClosing { stack.append((node, [])) }
                else if stack.isEmpty { root = node }
                else { stack[stack.count - 1].tree.children.append(node) }
            }
        }
        return stack.isEmpty ? root : nil
    }

    mutating func skip(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let matches = literal.withUTF8Buffer { buffer in buffer.elementsEqual(bytes[index..<index + count]) }
        if matches { index += count }
        return matches
    }

    func find(_ needle: [UInt8]) -> Int? {
        guard needle.count <= bytes.count else { return nil }
        var position = index
        while position + needle.count <= bytes.count {
            if bytes[position] == needle[0], bytes[position..<position + needle.count].elementsEqual(needle) { return position }
            position += 1
        }
        return nil
    }

    mutating func skip(through needle: [UInt8]) -> Bool {
        guard let end = find(needle) else { return false }
        index = end + needle.count
        return true
    }

    mutating func skipSpaces() {
        while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
    }

    /// An element name: up to whitespace, `/` or `>`; nil when empty or not UTF-8-safe text.
    mutating func readName() -> String? {
        let start = index
        while index < bytes.count, !Self.isSpace(bytes[index]), bytes[index] != UInt8(ascii: "/"), bytes[index] != UInt8(ascii: ">"),
              bytes[index] != UInt8(ascii: "<"), bytes[index] != UInt8(ascii: "&"), bytes[index] != UInt8(ascii: "\""),
              bytes[index] != UInt8(ascii: "'"), bytes[index] != UInt8(ascii: "=") {
            index += 1
        }
        guard index > start else { return nil }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// Skips a start tag's attributes up to and including `>`; whether it was `/>`. Quoted values
    /// may hold `>`; nil when the tag never closes.
    mutating func skipAttributes() -> Bool? {
        var quote: UInt8?
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if let open = quote {
                if byte == open { quote = nil }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte
            case UInt8(ascii: "<"): return nil
            case UInt8(ascii: ">"): return index >= 2 && bytes[index - 2] == UInt8(ascii: "/")
            default: continue
            }
        }
        return nil
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }

    /// Text with `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` and `&#…;` replaced; nil for any other
    /// entity or a reference to no character.
    static func decodeEntities(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.contains(UInt8(ascii: "&")) else { return Array(text) }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var position = text.startIndex
        while position < text.endIndex {
            let byte = text[position]
            guard byte == UInt8(ascii: "&") else {
                out.append(byte)
                position += 1
                continue
            }
            guard let end = text[position...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else { return nil }
            let name = String(decoding: text[(position + 1)..<end], as: UTF8.self)
            switch name {
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "amp": out.append(UInt8(ascii: "&"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                let number: UInt32?
                if name.hasPrefix("#x") || name.hasPrefix("#X") { number = UInt32(name.dropFirst(2), radix: 16) }
                else if name.hasPrefix("#") { number = UInt32(name.dropFirst(), radix: 10) }
                else { number = nil }
                guard let number, number != 0, let scalar = Unicode.Scalar(number) else { return nil }
                out += Array(String(Character(scalar)).utf8)
            }
            position = end + 1
        }
        return out
    }
}
