import AegisCore
@testable import AegisRedis
import AegisTestServers
import Foundation
import NIOCore
import Testing

/// The RESP2 client against a real redis-server: every reply type, error replies, nulls, binary
/// data, pipelining, and errors that never carry what was sent.
@Suite(.redisServer)
struct RESPRoundTripTests {
    @Test func simpleStringIntegerBulkArrayAndNulls() async throws {
        let connection = try await RedisTestServer.shared().adminConnection()
        let key = "k-\(UUID().uuidString)"
        #expect(try await connection.run(RESPCommand("PING")) == .simpleString("PONG"))
        #expect(try await connection.run(RESPCommand("SET", key, "value")) == .simpleString("OK"))
        #expect(try await connection.run(RESPCommand("GET", key)) == .bulkString(Array("value".utf8)))
        #expect(try await connection.run(RESPCommand("GET", key + "-missing")) == .null)
        #expect(try await connection.run(RESPCommand("INCRBY", key + "-n", "41")) == .integer(41))
        #expect(try await connection.run(RESPCommand("INCR", key + "-n")) == .integer(42))
        try await connection.run(RESPCommand("RPUSH", key + "-l", "a", "", "c"))
        #expect(try await connection.run(RESPCommand("LRANGE", key + "-l", "0", "-1"))
            == .array([.bulkString(Array("a".utf8)), .bulkString([]), .bulkString(Array("c".utf8))]))
        #expect(try await connection.run(RESPCommand("LRANGE", key + "-none", "0", "-1")) == .array([]))
        // RESP2's null array: a blocking pop that times out.
        #expect(try await connection.run(RESPCommand("BLPOP", key + "-none", "0.01")) == .null)
        // Nested arrays.
        let nested = try await connection.run(RESPCommand("ACL", "GETUSER", "default"))
        #expect(nested.array?.contains { $0.array != nil } == true)
        await connection.close()
    }

    @Test func binaryValuesWithCRLFRoundTrip() async throws {
        let connection = try await RedisTestServer.shared().adminConnection()
        let key = "bin-\(UUID().uuidString)"
        let bytes: [UInt8] = [0, 13, 10, 255, 36, 42, 13, 10, 0]
        try await connection.run(RESPCommand([.text("SET"), .text(key), .secret(SecretValue(bytes: bytes))]))
        #expect(try await connection.run(RESPCommand("GET", key)) == .bulkString(bytes))
        await connection.close()
    }

    @Test func errorRepliesAreTypedAndNameOnlyTheCommand() async throws {
        let connection = try await RedisTestServer.shared().adminConnection()
        let reply = try await connection.send(RESPCommand("NOSUCHCOMMAND", "argument-text"))
        #expect(reply.errorCode == "ERR")
        let error = await #expect(throws: RedisClientError.self) {
            try await connection.run(RESPCommand("NOSUCHCOMMAND", "argument-text"))
        }
        #expect(error?.isTransient == false)
        #expect(error?.description.contains("NOSUCHCOMMAND") == true)
        #expect(error?.description.contains("argument-text") == false)
        // The connection is still in step after an error reply.
        #expect(try await connection.run(RESPCommand("PING")) == .simpleString("PONG"))
        await connection.close()
    }

    @Test func wrongPasswordIsWRONGPASSAndNeverQuoted() async throws {
        let server = try RedisTestServer.shared()
        let password = SecretValue(utf8: "NotThePassword\(UUID().uuidString.prefix(8))")
        let error = await #expect(throws: RedisClientError.self) {
            _ = try await RedisConnection.connect(RedisURL(endpoint: server.endpoint, user: "nobody", password: password))
        }
        guard case .reply(let command, let code, _) = error else { Issue.record("expected an error reply, got \(String(describing: error))"); return }
        #expect(command == "AUTH")
        #expect(code == "WRONGPASS")
        expectNoSecret(error?.description ?? "", [password.revealSecretString()], in: "the error")
    }

    @Test func manyCommandsInFlightGetTheirOwnReplies() async throws {
        let connection = try await RedisTestServer.shared().adminConnection()
        let prefix = "p-\(UUID().uuidString)"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<50 {
                group.addTask {
                    try await connection.run(RESPCommand("SET", "\(prefix)-\(index)", "\(index)"))
                    let reply = try await connection.run(RESPCommand("GET", "\(prefix)-\(index)"))
                    #expect(reply.text == "\(index)")
                }
            }
            try await group.waitForAll()
        }
        await connection.close()
    }

    @Test func nothingListeningIsATransientError() async throws {
        let port = try freeLoopbackPort()
        let error = await #expect(throws: RedisClientError.self) {
            _ = try await RedisConnection.connect(to: RedisEndpoint(host: "127.0.0.1", port: port))
        }
        #expect(error?.isTransient == true)
    }
}

/// The decoder on its own: replies split across reads, and malformed input.
struct RESPDecoderTests {
    func parseAll(_ text: String) throws -> [RESPValue] {
        var buffer = ByteBuffer(string: text)
        var values: [RESPValue] = []
        while let value = try RESPReplyDecoder.parse(&buffer, depth: 0) { values.append(value) }
        #expect(buffer.readableBytes == 0)
        return values
    }

    @Test func everyTypeDecodes() throws {
        let values = try parseAll("+OK\r\n-ERR bad thing\r\n:-7\r\n$3\r\nabc\r\n$0\r\n\r\n$-1\r\n*-1\r\n*2\r\n:1\r\n*1\r\n+x\r\n")
        #expect(values == [.simpleString("OK"), .error("ERR bad thing"), .integer(-7), .bulkString(Array("abc".utf8)),
                           .bulkString([]), .null, .null, .array([.integer(1), .array([.simpleString("x")])])])
    }

    @Test func anIncompleteReplyConsumesNothing() throws {
        let whole = "*2\r\n$5\r\nhello\r\n:12\r\n"
        for cut in 1..<whole.utf8.count {
            var buffer = ByteBuffer(bytes: Array(whole.utf8.prefix(cut)))
            let before = buffer.readerIndex
            var copy = buffer
            #expect(try RESPReplyDecoder.parse(&copy, depth: 0) == nil, "cut at \(cut)")
            #expect(buffer.readerIndex == before)
            buffer.writeBytes(Array(whole.utf8.dropFirst(cut)))
            #expect(try RESPReplyDecoder.parse(&buffer, depth: 0) == .array([.bulkString(Array("hello".utf8)), .integer(12)]))
        }
    }

    @Test func malformedInputThrows() {
        for text in ["?what\r\n", ":notanumber\r\n", "$-5\r\n", "$3\r\nabcXY"] {
            var buffer = ByteBuffer(string: text)
            #expect(throws: RESPProtocolError.self, "\(text.debugDescription)") { try RESPReplyDecoder.parse(&buffer, depth: 0) }
        }
    }

    /// Found by `FuzzRESP` (docs/fuzzing.md): a 12-byte header claiming a million elements reserved
    /// a million slots (~40 MB) before any element had arrived.
    @Test func aHugeArrayHeaderWithoutItsElementsWaitsInsteadOfReserving() throws {
        var buffer = ByteBuffer(string: "*1000000\r\n+a\r\n")
        #expect(try RESPReplyDecoder.parse(&buffer, depth: 0) == nil)
        var tooMany = ByteBuffer(string: "*1000001\r\n")
        #expect(throws: RESPProtocolError.self) { try RESPReplyDecoder.parse(&tooMany, depth: 0) }
        var deep = ByteBuffer(string: String(repeating: "*1\r\n", count: 200) + ":1\r\n")
        #expect(throws: RESPProtocolError.self) { try RESPReplyDecoder.parse(&deep, depth: 0) }
    }

    @Test func encoderWritesArraysOfBulkStrings() {
        var buffer = ByteBuffer()
        RESPCommandEncoder().encode(data: RESPCommand([.text("AUTH"), .text("u"), .secret(SecretValue(utf8: "pw"))]), out: &buffer)
        #expect(buffer.readString(length: buffer.readableBytes) == "*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$2\r\npw\r\n")
    }

    @Test func commandDescriptionNamesOnlyTheCommand() {
        let command = RESPCommand([.text("ACL"), .text("setuser"), .text("aegis"), .text("#abc")])
        #expect("\(command)" == "ACL SETUSER")
        #expect(RESPCommand([.text("AUTH"), .secret(SecretValue(utf8: "hunter2"))]).description == "AUTH")
    }

    @Test func quotedArgumentsInErrorRepliesAreRedacted() {
        let error = RedisClientError.reply("ERR Error in ACL SETUSER modifier '#0123abcd': Syntax error", to: RESPCommand("ACL", "SETUSER"))
        #expect(error.description == "ACL SETUSER refused: ERR Error in ACL SETUSER modifier '<redacted>': Syntax error")
    }
}

/// `REDIS_URL` parsing; the password stays a `SecretValue` and errors never quote the URL.
struct RedisURLTests {
    @Test func fullURL() throws {
        let url = try RedisURL(parsing: "rediss://admin:p%40ss@cache.internal:6380/2")
        #expect(url.endpoint == RedisEndpoint(host: "cache.internal", port: 6380, useTLS: true, database: 2))
        #expect(url.user == "admin")
        #expect(url.password?.revealSecretString() == "p@ss")
        #expect("\(url.password!)" == "<redacted>")
    }

    @Test func defaultsAndPasswordOnly() throws {
        let plain = try RedisURL(parsing: "redis://127.0.0.1")
        #expect(plain.endpoint == RedisEndpoint(host: "127.0.0.1", port: 6379))
        #expect(plain.user == nil && plain.password == nil)
        let passwordOnly = try RedisURL(parsing: "redis://:secretpw@[::1]:7000")
        #expect(passwordOnly.endpoint.host == "::1" && passwordOnly.endpoint.port == 7000)
        #expect(passwordOnly.user == nil)
        #expect(passwordOnly.password?.revealSecretString() == "secretpw")
    }

    @Test func badURLsAreRefusedWithoutQuotingThem() {
        for text in ["http://u:SeCrEt@h", "redis://u:SeCrEt@h:99999", "redis://u:SeCrEt@", "redis://u:SeCrEt@h/x", "u:SeCrEt@h"] {
            let error = #expect(throws: RedisURLError.self, "\(text)") { try RedisURL(parsing: text) }
            #expect(error?.description.contains("SeCrEt") == false)
        }
    }
}
