import AegisTestServers
import Foundation

/// A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl
/// (EC P-256, one day) in a temp folder for one test.
struct TestCertificates {
    let folder: URL

    var caPEM: [UInt8] { read("ca.crt") }
    var serverCertificatePEM: [UInt8] { read("server.crt") }
    var serverKeyPEM: [UInt8] { read("server.key") }
    var clientCertificatePEM: [UInt8] { read("client.crt") }
    var clientKeyPEM: [UInt8] { read("client.key") }

    func read(_ name: String) -> [UInt8] {
        Array(FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) ?? Data())
    }

    static func make() async throws -> TestCertificates {
        let folders = ["/usr/bin", "/usr/local/bin", "/bin"]
        guard let openssl = folders.map({ "\($0)/openssl" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestFailure("openssl is not installed; scripts/test.sh installs it")
        }
        let folder = try temporaryFolder()
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        try "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: path("client.ext"), atomically: true, encoding: .utf8)
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let steps: [[String]] = [
            ["req", "-x509"] + key + ["-keyout", path("ca.key"), "-out", path("ca.crt"), "-days", "1", "-subj", "/CN=aegis-test-ca",
                                      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ["req"] + key + ["-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
             "-out", path("server.crt"), "-days", "1", "-extfile", path("server.ext")],
            ["req"] + key + ["-keyout", path("client.key"), "-out", path("client.csr"), "-subj", "/CN=aegis-rotate/O=aegis"],
            ["x509", "-req", "-in", path("client.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
             "-out", path("client.crt"), "-days", "1", "-extfile", path("client.ext")],
        ]
        for step in steps {
            let result = try await runProcess(openssl, step, environment: ["PATH": "/usr/bin:/bin", "RANDFILE": path(".rnd")],
                                              timeout: .seconds(30))
            guard result.status == 0 else { throw TestFailure("openssl \(step.first ?? "") failed: \(result.output)") }
        }
        return TestCertificates(folder: folder)
    }
}
