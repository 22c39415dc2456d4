import AegisCore
import AegisKubernetes
import Foundation
import KubernetesFake
import Testing

/// Pod logs of a deployment, and the auth-failure scanner over them.
@Suite(.serialized)
struct DeploymentLogsTests {
    @Test func logsOfEveryPodOverTheWindow() async throws {
        try await withFakeCluster { fake, client, _ in
            await fake.setPodLogs(deployment: "aegis-api", lines: ["started", "GET /health 200", "401 Unauthorized: bad key id"])
            let logs = DeploymentLogs(client: client)
            let pods = try await logs.fetch(namespace: "aegis", deployment: "aegis-api", window: .seconds(90))
            #expect(pods.count == 2)
            #expect(pods.allSatisfy { $0.text.contains("GET /health 200") && $0.text.split(separator: "\n").count == 3 })
            let text = try await logs.text(namespace: "aegis", deployment: "aegis-api", window: .milliseconds(1500))
            #expect(text.split(separator: "\n").count == 6)

            let requests = await fake.requests
            #expect(requests.contains { $0.path == "/api/v1/namespaces/aegis/pods" && $0.query["labelSelector"] == "app=aegis-api" })
            let logRequests = requests.filter { $0.path.hasSuffix("/log") }
            #expect(logRequests.count == 4)
            #expect(logRequests.first?.query["sinceSeconds"] == "90")
            #expect(logRequests.last?.query["sinceSeconds"] == "2")
            #expect(logRequests.allSatisfy { $0.query["timestamps"] == "true" })
        }
    }

    @Test func theScannerFindsAuthFailuresInAnyCase() async throws {
        try await withFakeCluster { fake, client, _ in
            await fake.setPodLogs(deployment: "aegis-api", lines: [
                "ready", "AUTH ERROR: signature mismatch", "upstream said Unauthorized", "403 Forbidden", "author: bob",
                "auth ok", "error: disk full", "jwt authentication failed with error kid=7",
            ])
            let text = try await DeploymentLogs(client: client).text(namespace: "aegis", deployment: "aegis-api", window: .seconds(60))
            let found = AuthFailureScanner.matchingLines(in: text)
            #expect(found.count == 8)
            #expect(found.filter { $0.contains("AUTH ERROR") }.count == 2)
            #expect(found.filter { $0.contains("Unauthorized") }.count == 2)
            #expect(found.filter { $0.contains("Forbidden") }.count == 2)
            #expect(found.filter { $0.contains("authentication failed with error") }.count == 2)
            #expect(!found.contains { $0.contains("author: bob") || $0.contains("auth ok") || $0.contains("disk full") })
        }
    }
}
