import Foundation

// Request and answer shapes of the Secrets Manager operations the store uses (JSON 1.1,
// field names as in the API reference). Secret values travel as `WireSecret` / `DecodedSecret`.

struct CreateSecretInput: Encodable {
    var Name: String
    var ClientRequestToken: String
    var SecretString: WireSecret
    var Description: String?
}

struct PutSecretValueInput: Encodable {
    var SecretId: String
    var ClientRequestToken: String
    var SecretString: WireSecret
    var VersionStages: [String]
}

struct SecretVersionOutput: Decodable {
    var ARN: String?
    var Name: String?
    var VersionId: String?
}

struct GetSecretValueInput: Encodable {
    var SecretId: String
    var VersionId: String?
    var VersionStage: String?
}

struct GetSecretValueOutput: Decodable {
    var SecretString: DecodedSecret?
    var SecretBinary: DecodedBinarySecret?
    var VersionId: String?
}

struct ListSecretVersionIdsInput: Encodable {
    var SecretId: String
    var IncludeDeprecated: Bool
    var MaxResults: Int
    var NextToken: String?
}

struct ListSecretVersionIdsOutput: Decodable {
    struct Version: Decodable {
        var VersionId: String
        var VersionStages: [String]?
        var CreatedDate: Date?
    }
    var Versions: [Version]?
    var NextToken: String?
}

struct UpdateSecretVersionStageInput: Encodable {
    var SecretId: String
    var VersionStage: String
    var MoveToVersionId: String?
    var RemoveFromVersionId: String?
}

struct RotateSecretInput: Encodable {
    var SecretId: String
    var ClientRequestToken: String?
    var RotateImmediately: Bool?
}

struct DescribeSecretInput: Encodable {
    var SecretId: String
}

struct DescribeSecretOutput: Decodable {
    var ARN: String?
    var Name: String?
    var RotationEnabled: Bool?
    var LastRotatedDate: Date?
    var LastChangedDate: Date?
    var VersionIdsToStages: [String: [String]]?
}

/// What `DescribeSecret` says about a secret (no value).
public struct SecretDescription: Sendable {
    public var name: String?
    public var arn: String?
    public var rotationEnabled: Bool
    public var lastRotatedDate: Date?
    public var lastChangedDate: Date?
    /// Version ID → staging labels, custom labels included.
    public var versionIDsToStages: [String: [String]]
}
