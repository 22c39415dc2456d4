import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: enough of a DOM to read Query-protocol answers (IAM, STS).
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

    public static func parse(_ bytes: [UInt8]) -> XMLTree? {
        let builder = Builder()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else { return nil }
        return root
    }

    /// Collects elements on a stack; used synchronously inside `parse`, never shared.
    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            stack.append(XMLTree(name: elementName, text: "", children: []))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard var node = stack.popLast() else { return }
            node.text = node.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if stack.isEmpty { root = node } else { stack[stack.count - 1].children.append(node) }
        }
    }
}
