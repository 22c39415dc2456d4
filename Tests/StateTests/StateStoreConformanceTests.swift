@testable import AegisCore
import AegisTestServers
import Foundation
import Testing

/// One suite, every state store: SQLite (the embedded default) and PostgreSQL (several replicas)
/// must keep the same records the same way, and decide races the same way. The PostgreSQL cases
/// use two stores with separate connection pools on one database, as two replicas would, so
/// every race below is a race between "replicas".
@Suite("state store conformance", .postgresServer, .timeLimit(.minutes(5)))
struct StateStoreConformanceTests {
    @Test("a rotation is created, read back and numbered", arguments: StoreKind.allCases)
    func createAndRead(kind: StoreKind) async throws {
        try await StoreFixture.make(kind).run { stores in
            guard case .created(let first) = try await stores.first.createRotation(secretID: Records.id("jwt"), audit: Records.requested(), build: { Records.rotation($0) }) else {
                Issue.record("the first request was not created")
                return
            }
            #expect(first.id == "R-1")
            guard case .created(let second) = try await stores.second.createRotation(secretID: Records.id("okta"), audit: Records.requested("okta"),
                                                                                     build: { Records.rotation($0, secret: "okta") }) else {
                Issue.record("a request for another secret was not created")
                return
            }
            #expect(second.number == 2, "numbers go on across replicas")
            let read = try await stores.second.rotation(id: "R-1")
            #expect(read == first, "the record read back differs from the one written")
            #expect(try await stores.first.rotations(secretID: Records.id("okta")).map(\.id) == ["R-2"])
            #expect(try await stores.first.rotations(statuses: [.awaitingApproval]).map(\.id) == ["R-1", "R-2"])
            #expect(try await stores.first.latestRotations(limit: 1).map(\.id) == ["R-2"])
            #expect(try await stores.first.rotation(id: "R-9") == nil)
        }
    }

    @Test("twenty simultaneous requests for one secret make one rotation", arguments: StoreKind.allCases)
    func concurrentRequestsMakeOne(kind: StoreKind) async throws {
        try await StoreFixture.make(kind).run { stores in
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<20 {
                    let store = index.isMultiple(of: 2) ? stores.first : stores.second
                    group.addTask {
                        switch try await store.createRotation(secretID: Records.id("jwt"), audit: Records.requested(), build: { Records.rotation($0) }) {
                        case .created(let record): "created \(record.id)"
                        case .alreadyOpen(let record): "open \(record.id)"
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0.hasPrefix("created") } == ["created R-1"], "\(outcomes)")
            #expect(outcomes.filter { $0 == "open R-1" }.count == 19, "\(outcomes)")
            #expect(try await stores.first.rotations(secretID: Records.id("jwt")).count == 1)
            let requests = try await stores.first.auditRecords().compactMap(\.entry).filter { $0.action.rawValue == "rotation.requested" }
            #expect(requests.count == 1, "only the request that created a rotation is audited as one")
        }
    }

    @Test("ten simultaneous decisions on one request: exactly one wins, with its audit record", arguments: StoreKind.allCases)
    func concurrentDecisionsDecideOnce(kind: StoreKind) async throws {
        struct AlreadyDecided: Error {}
        try await StoreFixture.make(kind).run { stores in
            _ = try await stores.first.createRotation(secretID: Records.id("jwt"), audit: Records.requested(), build: { Records.rotation($0) })
            let winners = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<10 {
                    let store = index.isMultiple(of: 2) ? stores.first : stores.second
                    group.addTask {
                        do {
                            let record = try await store.updateRotation(id: "R-1", audit: { record in
                                AuditEntry(actor: "approver\(index)", action: .approved, rotationID: record.id)
                            }) { record in
                                guard record.status == .awaitingApproval else { throw AlreadyDecided() }
                                record.status = .approved
                                record.decidedBy = "approver\(index)"
                            }
                            return record.decidedBy
                        } catch is AlreadyDecided {
                            return nil
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { if let winner = $1 { $0.append(winner) } }
            }
            #expect(winners.count == 1, "\(winners)")
            let stored = try #require(try await stores.second.rotation(id: "R-1"))
            #expect(stored.status == .approved && stored.decidedBy == winners.first)
            let approvals = try await stores.first.auditRecords().compactMap(\.entry).filter { $0.action.rawValue == "rotation.approved" }
            #expect(approvals.map(\.actor) == winners, "an audit record for a decision that did not land")
        }
    }

    @Test("an update whose body throws writes nothing, not even its audit record", arguments: StoreKind.allCases)
    func failedUpdateWritesNothing(kind: StoreKind) async throws {
        struct Refused: Error {}
        try await StoreFixture.make(kind).run { stores in
            _ = try await stores.first.createRotation(secretID: Records.id("jwt"), audit: Records.requested(), build: { Records.rotation($0) })
            let before = try await stores.first.auditRecords().count
            await #expect(throws: Refused.self) {
                try await stores.second.updateRotation(id: "R-1", audit: { _ in AuditEntry(actor: "x", action: AuditAction(rawValue: "never")) }) { record in
                    record.status = .approved
                    throw Refused()
                }
            }
            #expect(try await stores.first.rotation(id: "R-1")?.status == .awaitingApproval)
            #expect(try await stores.first.auditRecords().count == before)
            await #expect(throws: StateStoreError.self) { try await stores.first.updateRotation(id: "R-404") { _ in } }
        }
    }

    @Test("steps are saved, replaced and read in order", arguments: StoreKind.allCases)
    func stepsRoundTrip(kind: StoreKind) async throws {
        try await StoreFixture.make(kind).run { stores in
            _ = try await stores.first.createRotation(secretID: Records.id("jwt"), audit: Records.requested(), build: { Records.rotation($0) })
            for index in [2, 0, 1] { try await stores.first.saveStep(StepRecord(rotationID: "R-1", index: index, name: "step\(index)")) }
            var step = StepRecord(rotationID: "R-1", index: 1, name: "step1", status: .done)
            step.owner = ReplicaOwner(rawValue: "replica-a/1234")
            step.summary = "did it"
            try await stores.second.saveStep(step)
            let steps = try await stores.first.steps(rotationID: "R-1")
            #expect(steps.map(\.index) == [0, 1, 2])
            #expect(steps[1] == step, "the replaced step differs from the one written")
        }
    }

    @Test("timers: scheduled once, due in order, claimed by one, finished, rescheduled", arguments: StoreKind.allCases)
    func timersLifecycle(kind: StoreKind) async throws {
        try await StoreFixture.make(kind).run { stores in
            let now = Date()
            let early = TimerRecord(id: "t-early", kind: .graceCleanup, rotationID: nil, dueAt: now.addingTimeInterval(-10))
            let late = TimerRecord(id: "t-late", kind: .dueCheck, rotationID: nil, dueAt: now.addingTimeInterval(3_600))
            try await stores.first.scheduleTimer(late)
            try await stores.first.scheduleTimer(early)
            var moved = early
            moved.dueAt = now.addingTimeInterval(99_999)
            try await stores.second.scheduleTimer(moved)
            #expect(try await stores.first.dueTimers(now: now).map(\.id) == ["t-early"], "scheduling an existing ID again must keep the first")
            let next = try #require(try await stores.second.nextTimerDue())
            #expect(abs(next.timeIntervalSince(early.dueAt)) < 0.01)
            #expect(try await stores.first.pendingTimers(kind: .dueCheck).map(\.id) == ["t-late"])

            let owner = ReplicaOwner(rawValue: "a/1")
            let grant = try #require(try await stores.first.acquireLease(.timer("t-early"), owner: owner, ttl: .seconds(30)))
            let claimed = try await LeaseContext.$current.withValue(grant) { try await stores.first.claimTimer(id: "t-early", now: now) }
            #expect(claimed)
            #expect(try await stores.second.dueTimers(now: now).isEmpty, "a timer running under a live lease is not due elsewhere")
            try await LeaseContext.$current.withValue(grant) {
                try await stores.first.finishTimer(id: "t-early", status: .done, note: "fired")
            }
            #expect(try await !stores.second.claimTimer(id: "t-early", now: now), "a finished timer is claimed again")
            try await stores.second.rescheduleTimer(id: "t-late", dueAt: now.addingTimeInterval(-1), note: "retry")
            #expect(try await stores.first.dueTimers(now: now).map(\.id) == ["t-late"])
            #expect(try await stores.first.timers(rotationID: "R-1").isEmpty)
        }
    }

    @Test("a timer whose holder died is due again once its lease expires, and fires once", arguments: StoreKind.allCases)
    func orphanedTimerIsTakenOver(kind: StoreKind) async throws {
        try await StoreFixture.make(kind).run { stores in
            let now = Date()
            try await stores.first.scheduleTimer(TimerRecord(id: "t", kind: .approvalExpiry, rotationID: nil, dueAt: now.addingTimeInterval(-1)))
            let dead = try #require(try await stores.first.acquireLease(.timer("t"), owner: ReplicaOwner(rawValue: "dead/1"), ttl: .seconds(1)))
            #expect(try await LeaseContext.$current.withValue(dead) { try await stores.first.claimTimer(id: "t", now: now) })
            #expect(try await stores.second.dueTimers(now: now).isEmpty)
            try await Task.sleep(for: .milliseconds(1_300))
            #expect(try await stores.second.dueTimers(now: now).map(\.id) == ["t"], "the dead holder's timer is not offered again")
            let heir = try #require(try await stores.second.acquireLease(.timer("t"), owner: ReplicaOwner(rawValue: "heir/2"), ttl: .seconds(30)))
            #expect(heir.generation > dead.generation)
            #expect(try await LeaseContext.$current.withValue(heir) { try await stores.second.claimTimer(id: "t", now: now) })
            await #expect(throws: LeaseLost.self, "the dead holder's late write must fail") {
                try await LeaseContext.$current.withValue(dead) { try await stores.first.finishTimer(id: "t", status: .done, note: "late") }
            }
        }
    }

    @Test("fifty appends from two replicas at once make one intact chain", arguments: StoreKind.allCases)
    func concurrentAuditAppendsChain(kind: StoreKind) async throws {
        try await StoreFixture.make(kind).run { stores in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    let store = index.isMultiple(of: 2) ? stores.first : stores.second
                    group.addTask { try await store.appendAudit(AuditEntry(actor: "a\(index)", action: AuditAction(rawValue: "test.append"))) }
                }
                try await group.waitForAll()
            }
            let records = try await stores.second.auditRecords()
            #expect(records.map(\.sequence) == Array(1...50))
            #expect(Set(records.compactMap(\.entry).map(\.actor)).count == 50)
            #expect(AuditChain.verify(records, key: StoreFixture.auditKey) == .intact(count: 50, headHash: records.last?.hash ?? ""))
        }
    }

    @Test("leases: one holder at a time, renewal, expiry, fencing and release", arguments: StoreKind.allCases)
    func leaseRules(kind: StoreKind) async throws {
        try await StoreFixture.make(kind).run { stores in
            let a = ReplicaOwner(rawValue: "a/1"), b = ReplicaOwner(rawValue: "b/2")
            let name = LeaseName.rotation("R-1")
            let held = try #require(try await stores.first.acquireLease(name, owner: a, ttl: .seconds(1)))
            #expect(try await stores.second.acquireLease(name, owner: b, ttl: .seconds(30)) == nil, "a live lease was taken by another owner")
            try await stores.first.renewLease(held)
            #expect(try await stores.second.liveLeases().map(\.owner) == [a])
            try await Task.sleep(for: .milliseconds(1_300))
            await #expect(throws: LeaseLost.self, "an expired lease was renewed") { try await stores.first.renewLease(held) }
            let taken = try #require(try await stores.second.acquireLease(name, owner: b, ttl: .seconds(30)), "an expired lease was not taken over")
            #expect(taken.generation > held.generation)
            await #expect(throws: LeaseLost.self, "the old holder renewed after a takeover") { try await stores.first.renewLease(held) }
            try await stores.first.releaseLease(held)
            #expect(try await stores.first.liveLeases().map(\.owner) == [b], "releasing a stale grant dropped the new holder's lease")
            try await stores.second.releaseLease(taken)
            #expect(try await stores.first.acquireLease(name, owner: a, ttl: .seconds(30)) != nil, "a released lease could not be taken at once")
        }
    }

    @Test("a write under a lost lease fails and changes nothing", arguments: StoreKind.allCases)
    func writesUnderALostLeaseFail(kind: StoreKind) async throws {
        try await StoreFixture.make(kind).run { stores in
            _ = try await stores.first.createRotation(secretID: Records.id("jwt"), audit: Records.requested(), build: { Records.rotation($0, status: .approved) })
            let name = LeaseName.rotation("R-1")
            let stale = try #require(try await stores.first.acquireLease(name, owner: ReplicaOwner(rawValue: "a/1"), ttl: .seconds(1)))
            try await LeaseContext.$current.withValue(stale) {
                try await stores.first.updateRotation(id: "R-1") { $0.status = .running }
            }
            try await Task.sleep(for: .milliseconds(1_300))
            let fresh = try #require(try await stores.second.acquireLease(name, owner: ReplicaOwner(rawValue: "b/2"), ttl: .seconds(30)))
            let auditBefore = try await stores.first.auditRecords().count
            await #expect(throws: LeaseLost.self) {
                try await LeaseContext.$current.withValue(stale) {
                    try await stores.first.updateRotation(id: "R-1", audit: { _ in AuditEntry(actor: "a", action: AuditAction(rawValue: "late")) }) { $0.failure = "late" }
                }
            }
            await #expect(throws: LeaseLost.self) {
                try await LeaseContext.$current.withValue(stale) {
                    try await stores.first.saveStep(StepRecord(rotationID: "R-1", index: 0, name: "late", status: .running))
                }
            }
            await #expect(throws: LeaseLost.self) {
                try await LeaseContext.$current.withValue(stale) { try await stores.first.appendAudit(AuditEntry(actor: "a", action: AuditAction(rawValue: "late"))) }
            }
            #expect(try await stores.second.rotation(id: "R-1")?.failure == nil)
            #expect(try await stores.second.steps(rotationID: "R-1").isEmpty)
            #expect(try await stores.second.auditRecords().count == auditBefore)
            try await LeaseContext.$current.withValue(fresh) {
                try await stores.second.updateRotation(id: "R-1") { $0.failure = "by the holder" }
            }
            #expect(try await stores.first.rotation(id: "R-1")?.failure == "by the holder")
        }
    }
}
