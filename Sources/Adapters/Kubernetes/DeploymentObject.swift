import Foundation

/// The parts of an `apps/v1` Deployment the adapter reads: pause, selector and rollout status.
public struct DeploymentObject: Decodable, Sendable {
    public struct Metadata: Decodable, Sendable {
        public var name: String?
        public var generation: Int64?
    }
    public struct Selector: Decodable, Sendable {
        public var matchLabels: [String: String]?
    }
    public struct Spec: Decodable, Sendable {
        public var replicas: Int64?
        public var paused: Bool?
        public var selector: Selector?
    }
    public struct Condition: Decodable, Sendable {
        public var type: String
        public var status: String?
        public var reason: String?
        public var message: String?
    }
    public struct Status: Decodable, Sendable {
        public var observedGeneration: Int64?
        public var replicas: Int64?
        public var updatedReplicas: Int64?
        public var readyReplicas: Int64?
        public var availableReplicas: Int64?
        public var conditions: [Condition]?
    }

    public var metadata: Metadata
    public var spec: Spec?
    public var status: Status?
}
