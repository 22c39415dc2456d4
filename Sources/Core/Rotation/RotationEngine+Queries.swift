import Foundation

/// Read-only questions: due dates, open rotations, history.
extension RotationEngine {
    /// When each secret was last rotated (the later of its store version's creation and the last
    /// completed rotation) and when it is due. "Due soon" is the last tenth of the period.
    public func dueReport(now: Date? = nil) async -> [DueItem] {
        let now = now ?? clock.now()
        var items: [DueItem] = []
        for definition in deps.inventory.definitions {
            let every = DurationText.format(definition.every)
            var last: Date?
            var note: String?
            do {
                let store = try deps.adapters.secretStore(for: definition)
                last = try await store.lastRotation(secret: definition.storage)
            } catch {
                note = "store: \(RotationEngine.safeDescription(error))"
            }
            if let completed = try? await deps.state.rotations(secretID: definition.id)
                .filter({ $0.status == .completed }).compactMap(\.finishedAt).max() {
                last = max(last ?? completed, completed)
            }
            guard let last else {
                items.append(DueItem(secretID: definition.id, every: every, status: .unknown, note: note ?? "never rotated by the bot and the store has no date"))
                continue
            }
            let due = last.addingTimeInterval(definition.every.timeInterval)
            let soon = due.addingTimeInterval(-definition.every.timeInterval / 10)
            let status: DueItem.Status = now >= due ? .overdue : (now >= soon ? .dueSoon : .ok)
            items.append(DueItem(secretID: definition.id, every: every, lastRotated: last, nextDue: due, status: status, note: note))
        }
        return items
    }

    public func openRotations() async throws -> [RotationSnapshot] {
        var result: [RotationSnapshot] = []
        for record in try await deps.state.rotations(statuses: Set(RotationStatus.allCases.filter(\.isOpen))) {
            result.append(try await snapshot(of: record))
        }
        return result.sorted { $0.record.number < $1.record.number }
    }

    public func history(secretName: String) async throws -> (SecretDefinition, [RotationRecord])? {
        guard let definition = deps.inventory.definition(named: secretName) else { return nil }
        let records = try await deps.state.rotations(secretID: definition.id).sorted { $0.number > $1.number }
        return (definition, records)
    }

    /// The keyed chain first; if it holds, the head seen last time (`seen`) and every rotation's
    /// status against its records. Returns the verification and the head to remember now.
    public func auditVerification(seen: AuditHead? = nil) async throws -> (AuditVerification, AuditHead?) {
        let records = try await deps.state.auditRecords()
        let chain = AuditChain.verify(records, key: deps.state.auditKey)
        guard case .intact(let count, let headHash) = chain else { return (chain, nil) }
        var problems: [String] = []
        if let problem = seen?.problem(in: records) { problems.append(problem) }
        let rotations = try await deps.state.latestRotations(limit: Int.max)
        problems += AuditCrossCheck.problems(rotations: rotations, records: records)
        guard problems.isEmpty else { return (.inconsistent(count: count, problems: problems), nil) }
        return (chain, AuditHead(sequence: count, hash: headHash, seenAt: Timestamps.iso8601(clock.now())))
    }
}
