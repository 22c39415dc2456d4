import AegisCore
import Foundation
import Testing

@Suite("Audit hash chain")
struct AuditChainTests {
    func chain(_ count: Int) -> [AuditRecord] {
        var records: [AuditRecord] = []
        var previous = AuditChain.genesisHash
        for index in 1...count {
            let record = AuditChain.seal(AuditEntry(actor: "carol", action: "rotation.approved", rotationID: "R-\(index)"),
                                         sequence: index, previousHash: previous, at: Date())
            records.append(record)
            previous = record.hash
        }
        return records
    }

    @Test func intactChainVerifies() {
        let records = chain(5)
        #expect(AuditChain.verify(records) == .intact(count: 5, headHash: records[4].hash))
    }

    @Test func anyChangedByteIsFound() {
        var records = chain(5)
        var body = Array(records[2].body.utf8)
        body[body.count / 2] ^= 0x01
        records[2].body = String(decoding: body, as: UTF8.self)
        guard case .broken(let sequence, _) = AuditChain.verify(records) else {
            Issue.record("tampering not detected")
            return
        }
        #expect(sequence == 3)
    }

    @Test func deletedOrReorderedRecordsAreFound() {
        var deleted = chain(5)
        deleted.remove(at: 1)
        guard case .broken(let sequence, _) = AuditChain.verify(deleted) else { Issue.record("deletion not detected"); return }
        #expect(sequence == 3)
        var swapped = chain(3)
        swapped.swapAt(0, 1)
        guard case .broken = AuditChain.verify(swapped) else { Issue.record("reordering not detected"); return }
    }

    @Test func rehashedRecordBreaksTheNextLink() {
        var records = chain(4)
        let forged = AuditChain.seal(AuditEntry(actor: "mallory", action: "rotation.approved"), sequence: 2,
                                     previousHash: records[0].hash, at: Date())
        records[1] = forged
        guard case .broken(let sequence, _) = AuditChain.verify(records) else { Issue.record("forgery not detected"); return }
        #expect(sequence == 3)
    }
}
