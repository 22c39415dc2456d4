import AegisCore
import Foundation
import Testing

@Suite("Audit hash chain")
struct AuditChainTests {
    let key = try! AuditKey(material: SecretValue(utf8: "the-bot's-audit-key-0123456789abcdef"))
    let otherKey = try! AuditKey(material: SecretValue(utf8: "someone-else's-key-0123456789abcdef"))

    func chain(_ count: Int) -> [AuditRecord] {
        var records: [AuditRecord] = []
        var previous = AuditChain.genesisHash
        for index in 1...count {
            let record = AuditChain.seal(AuditEntry(actor: "carol", action: AuditAction(rawValue: "rotation.approved"), rotationID: RotationID(number: index)),
                                         sequence: index, previousHash: previous, at: Date(), key: key)
            records.append(record)
            previous = record.hash
        }
        return records
    }

    @Test func intactChainVerifies() {
        let records = chain(5)
        #expect(AuditChain.verify(records, key: key) == .intact(count: 5, headHash: records[4].hash))
    }

    @Test func anyChangedByteIsFound() {
        var records = chain(5)
        var body = Array(records[2].body.utf8)
        body[body.count / 2] ^= 0x01
        records[2].body = String(decoding: body, as: UTF8.self)
        guard case .broken(let sequence, _) = AuditChain.verify(records, key: key) else {
            Issue.record("tampering not detected")
            return
        }
        #expect(sequence == 3)
    }

    @Test func deletedOrReorderedRecordsAreFound() {
        var deleted = chain(5)
        deleted.remove(at: 1)
        guard case .broken(let sequence, _) = AuditChain.verify(deleted, key: key) else { Issue.record("deletion not detected"); return }
        #expect(sequence == 3)
        var swapped = chain(3)
        swapped.swapAt(0, 1)
        guard case .broken = AuditChain.verify(swapped, key: key) else { Issue.record("reordering not detected"); return }
    }

    @Test func rehashedRecordBreaksTheNextLink() {
        var records = chain(4)
        let forged = AuditChain.seal(AuditEntry(actor: "mallory", action: AuditAction(rawValue: "rotation.approved")), sequence: 2,
                                     previousHash: records[0].hash, at: Date(), key: key)
        records[1] = forged
        guard case .broken(let sequence, _) = AuditChain.verify(records, key: key) else { Issue.record("forgery not detected"); return }
        #expect(sequence == 3)
    }

    /// Someone who can write the store but lacks the key re-chains the whole log from a forged
    /// record on: every link is consistent, but no hash is the bot's, so the first is refused.
    @Test func rechainingWithoutTheKeyIsFound() {
        var records = chain(4)
        var previous = records[0].hash
        for index in 1..<records.count {
            let entry = index == 1 ? AuditEntry(actor: "mallory", action: AuditAction(rawValue: "rotation.approved"), rotationID: "R-9")
                                   : AuditEntry(actor: "carol", action: AuditAction(rawValue: "rotation.completed"), rotationID: RotationID(number: index + 1))
            records[index] = AuditChain.seal(entry, sequence: index + 1, previousHash: previous, at: Date(), key: otherKey)
            previous = records[index].hash
        }
        guard case .broken(let sequence, _) = AuditChain.verify(records, key: key) else { Issue.record("re-chaining not detected"); return }
        #expect(sequence == 2)
    }

    @Test func shortKeysAreRefused() {
        #expect(throws: AuditKeyError.self) { try AuditKey(material: SecretValue(utf8: "short")) }
    }
}
