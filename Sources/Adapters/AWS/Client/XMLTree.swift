
/// A parsed XML element: enough of a DOM to read Query-protocol answers (IAM, STS). Element
/// names are kept as written (with any prefix); attributes are not kept; text is trimmed.
public struct XMLTree: Sendable {
    public var name: String
    public var text: String
    public var children: [XMLTree]

    /// The first child with this name.
    public func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }

    /// Follows a path of child names.
    public func path(_ names: String...) -> XMLTree? {
        var node: XMLTree? = self
        for name in names { node = node?.child(name) }
        return node
    }

    /// The first element with this name anywhere below (depth first).
    public func find(_ name: String) -> XMLTree? {
        for child in children {
            if child.name == name { return child }
            if let found = child.find(name) { return found }
        }
        return nil
    }

    /// Text of a direct child, nil when absent.
    public func string(_ name: String) -> String? { child(name)?.text }

    /// Parses one document; nil when it is not well-formed XML of the shape AWS sends.
    public static func parse(_ bytes: [UInt8]) -> XMLTree? {
        var reader = XMLReader(bytes: bytes)
        return reader.document()
    }
}
