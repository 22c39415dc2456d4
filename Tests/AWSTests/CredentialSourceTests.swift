import AegisAWS
import AegisCore
import Foundation
import Testing

/// Environment and shared-file credentials, and the chain's order.
@Suite("credentials: environment, shared files, chain order")
struct CredentialSourceTests {
    /// An environment that turns every network source off, so nothing leaves the machine.
    static let offline = ["AWS_EC2_METADATA_DISABLED": "true"]

    @Test("environment: keys and session token; half a pair is an error; nothing is nil")
    func environment() async throws {
        let full = try #require(try await EnvironmentCredentialProvider(environment: [
            "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token",
        ]).credentials())
        #expect(full.accessKeyID == "AKIDENV")
        #expect(full.secretAccessKey.revealSecretString() == "env-secret")
        #expect(full.sessionToken?.revealSecretString() == "env-token")
        #expect(!"\(full)".contains("env-secret") && !"\(full)".contains("env-token"))

        #expect(try await EnvironmentCredentialProvider(environment: [:]).credentials() == nil)
        let half = await #expect(throws: AWSCredentialError.self) {
            try await EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "AKIDENV"]).credentials()
        }
        #expect(half?.description.contains("AWS_SECRET_ACCESS_KEY") == true)
    }

    @Test("shared files: profiles from credentials and config, precedence, AWS_PROFILE, missing profile")
    func sharedFiles() async throws {
        let folder = try TemporaryFolder()
        let credentials = folder.write("credentials", """
            # comment
            [default]
            aws_access_key_id = AKIDDEFAULT
            aws_secret_access_key = default-secret

            [work]
            aws_access_key_id=AKIDWORK
            aws_secret_access_key=work-secret
            aws_session_token = work-token
            """)
        let config = folder.write("config", """
            [default]
            region = eu-west-1
            [profile cfg]
            aws_access_key_id = AKIDCONFIG
            aws_secret_access_key = config-secret
            [profile work]
            aws_access_key_id = AKIDSHADOWED
            aws_secret_access_key = shadowed-secret
            """)
        let files = ["AWS_SHARED_CREDENTIALS_FILE": credentials, "AWS_CONFIG_FILE": config]

        let byDefault = try await SharedFilesCredentialProvider(environment: files).credentials()
        #expect(byDefault?.accessKeyID == "AKIDDEFAULT")
        let work = try await SharedFilesCredentialProvider(environment: files.merging(["AWS_PROFILE": "work"]) { $1 }).credentials()
        #expect(work?.accessKeyID == "AKIDWORK")  // the credentials file wins over the config file
        #expect(work?.sessionToken?.revealSecretString() == "work-token")
        let fromConfig = try await SharedFilesCredentialProvider(environment: files.merging(["AWS_PROFILE": "cfg"]) { $1 }).credentials()
        #expect(fromConfig?.accessKeyID == "AKIDCONFIG")
        #expect(fromConfig?.secretAccessKey.revealSecretString() == "config-secret")

        let missing = await #expect(throws: AWSCredentialError.self) {
            try await SharedFilesCredentialProvider(environment: files.merging(["AWS_PROFILE": "nope"]) { $1 }).credentials()
        }
        #expect(missing?.description.contains("nope") == true)

        // Default paths under HOME: ~/.aws/credentials and ~/.aws/config.
        let home = try TemporaryFolder()
        _ = home.write(".aws/config", "[profile homecfg]\naws_access_key_id = AKIDHOME\naws_secret_access_key = home-secret\n")
        let fromHome = try await SharedFilesCredentialProvider(environment: ["HOME": home.path, "AWS_PROFILE": "homecfg"]).credentials()
        #expect(fromHome?.accessKeyID == "AKIDHOME")
        #expect(try await SharedFilesCredentialProvider(environment: ["HOME": try TemporaryFolder().path]).credentials() == nil)
    }

    @Test("the chain keeps the first source that answers: environment before files")
    func chainOrder() async throws {
        let folder = try TemporaryFolder()
        let file = folder.write("credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n")
        var environment = Self.offline
        environment["HOME"] = folder.path
        environment["AWS_SHARED_CREDENTIALS_FILE"] = file
        let fileOnly = try await DefaultCredentialChain.make(environment: environment).credentials()
        #expect(fileOnly?.accessKeyID == "AKIDFILE")

        environment["AWS_ACCESS_KEY_ID"] = "AKIDENV"
        environment["AWS_SECRET_ACCESS_KEY"] = "env-secret"
        let envFirst = try await DefaultCredentialChain.make(environment: environment).credentials()
        #expect(envFirst?.accessKeyID == "AKIDENV")
    }

    @Test("nothing configured: a typed error naming every source tried")
    func nothingConfigured() async throws {
        let environment = Self.offline.merging(["HOME": try TemporaryFolder().path]) { $1 }
        let error = await #expect(throws: AWSCredentialError.self) {
            try await DefaultCredentialChain.make(environment: environment).credentials()
        }
        #expect(error?.description.contains("environment, web identity, shared files, container, instance metadata") == true)
    }
}

/// A temporary folder removed when the value is released.
final class TemporaryFolder: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-aws-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes a file (creating folders) and returns its path.
    func write(_ name: String, _ text: String) -> String {
        let file = URL(fileURLWithPath: path).appendingPathComponent(name)
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: file.path, contents: Data(text.utf8))
        return file.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
