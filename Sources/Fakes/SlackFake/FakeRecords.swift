import Foundation
import SlackWebAPI

/// A Web API call the fake received. The token is kept only as its kind (`xoxb`, `xapp`).
public struct FakeAPICall: Sendable {
    public let method: String
    public let body: JSONValue
    public let tokenKind: String
    public let at: ContinuousClock.Instant
}

/// A message in a channel, as Slack would hold it (updates applied).
public struct FakeMessage: Sendable {
    public let channel: String
    public let ts: String
    public let threadTS: String?
    public var text: String
    public var blocks: JSONValue?
    public var updates: Int

    /// The text and every block's text, for assertions.
    public var allText: String { ([text] + (blocks.map { FakeMessage.texts(in: $0) } ?? [])).joined(separator: "\n") }

    static func texts(in json: JSONValue) -> [String] {
        switch json {
        case .string(let value): [value]
        case .array(let values): values.flatMap(texts(in:))
        case .object(let object): object.sorted { $0.key < $1.key }.flatMap { texts(in: $0.value) }
        default: []
        }
    }

    /// The buttons of the message: (action_id, value, text).
    public var buttons: [(actionID: String, value: String, text: String)] {
        var found: [(String, String, String)] = []
        func walk(_ json: JSONValue) {
            if json["type"]?.string == "button", let action = json["action_id"]?.string {
                found.append((action, json["value"]?.string ?? "", json["text"]?["text"]?.string ?? ""))
            }
            json.array?.forEach(walk)
            json.object?.values.forEach(walk)
        }
        if let blocks { walk(blocks) }
        return found
    }
}

public struct FakeEphemeral: Sendable {
    public let channel: String
    public let user: String
    public let text: String
}

/// An envelope's ack as the fake received it.
public struct FakeAck: Sendable {
    public let envelopeID: String
    public let payload: JSONValue?
    /// From the envelope's (last) send to its ack.
    public let latency: Duration
}
