import AegisCore

/// The core's staging labels as Secrets Manager names them. The names are the AWS store's own
/// vocabulary, so they live here and not in the core.
extension SecretStage {
    /// `AWSCURRENT`, `AWSPREVIOUS`, `AWSPENDING`.
    public var awsLabel: String {
        switch self {
        case .current: "AWSCURRENT"
        case .previous: "AWSPREVIOUS"
        case .pending: "AWSPENDING"
        }
    }

    /// The stage a Secrets Manager label stands for; nil for a custom label.
    public init?(awsLabel: String) {
        guard let stage = SecretStage.allCases.first(where: { $0.awsLabel == awsLabel }) else { return nil }
        self = stage
    }
}
