/// A JSON object's members in the order they were set or read.
///
/// Protocol headers hold a handful of keys, so members live in an array and
/// are found by a linear search: cheaper than hashing every key, and the
/// serializer writes them in a stable order without sorting. Equality ignores
/// order, as JSON's does.
public struct JSONObject: Equatable, Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSON)

    private var members: [Element]

    public init() { members = [] }

    /// Members in order; a later duplicate of a key replaces the earlier one,
    /// as in a dictionary literal.
    public init(_ elements: some Sequence<(String, JSON)>) {
        members = []
        members.reserveCapacity(elements.underestimatedCount)
        for (key, value) in elements { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, JSON)...) { self.init(elements) }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.key) }

    /// The member's value; setting nil removes it, setting a new key appends it.
    public subscript(key: String) -> JSON? {
        get {
            for member in members where member.key == key { return member.value }
            return nil
        }
        set {
            let index = members.firstIndex { $0.key == key }
            switch (index, newValue) {
            case (let i?, let value?): members[i].value = value
            case (let i?, nil): members.remove(at: i)
            case (nil, let value?): members.append((key, value))
            case (nil, nil): break
            }
        }
    }

    /// Appends a member the caller knows is new (the parser checks duplicates itself).
    mutating func appendNew(_ key: String, _ value: JSON) {
        members.append((key, value))
    }

    mutating func reserveCapacity(_ n: Int) { members.reserveCapacity(n) }

    public func makeIterator() -> IndexingIterator<[Element]> { members.makeIterator() }

    /// Whether the two have the same members once `key` is left out of both.
    func equals(_ other: JSONObject, ignoring key: String) -> Bool {
        let count = members.count - (self[key] == nil ? 0 : 1)
        guard count == other.count - (other[key] == nil ? 0 : 1) else { return false }
        return members.allSatisfy { $0.key == key || other[$0.key] == $0.value }
    }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.count == b.count && a.members.allSatisfy { b[$0.key] == $0.value }
    }
}
