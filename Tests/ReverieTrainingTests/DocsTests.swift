import Foundation
import ReverieTestSupport
import Testing

/// The docs name only what exists: every `reverie …` command written in a
/// code block or code span of the README, agents/, envs/, bench/ and docs/
/// uses a real subcommand, real options of it, a shipped preset, a bench
/// workload `reverie bench` knows and `--set` keys the config has. A renamed
/// option or a deleted preset fails here instead of in a reader's shell.
@Suite(.timeLimit(.minutes(10))) struct DocsTests {
    /// One `reverie` command as written in a document.
    struct Command: CustomStringConvertible {
        var file: String
        var words: [String]
        var description: String { "\(file): reverie \(words.joined(separator: " "))" }
    }

    /// The markdown files a user reads.
    static var documents: [URL] {
        let root = PythonTool.repository, fm = FileManager.default
        var files = ["README.md", "agents/README.md", "envs/README.md", "envs/PROTOCOL.md", "bench/README.md"]
            .map { root.appendingPathComponent($0) }
        let docs = root.appendingPathComponent("docs")
        files += ((try? fm.contentsOfDirectory(atPath: docs.path)) ?? []).filter { $0.hasSuffix(".md") }.sorted()
            .map { docs.appendingPathComponent($0) }
        return files.filter { fm.fileExists(atPath: $0.path) }
    }

    /// The text of fenced code blocks (one line each, `\`-continued lines
    /// joined, `# comments` dropped) and of inline code spans.
    static func code(in markdown: String) -> [String] {
        var snippets: [String] = [], prose: [Substring] = [], inFence = false, pending = ""
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") { inFence.toggle(); continue }
            guard inFence else { prose.append(line); continue }
            var text = pending + String(line)
            if let hash = text.range(of: " #") { text = String(text[..<hash.lowerBound]) }
            if text.hasSuffix("\\") { pending = String(text.dropLast()) + " "; continue }
            pending = ""
            snippets.append(text)
        }
        for line in prose {
            let parts = line.split(separator: "`", omittingEmptySubsequences: false)
            snippets += stride(from: 1, to: parts.count - 1, by: 2).map { String(parts[$0]) }
        }
        return snippets
    }

    /// Every `reverie WORD …` in a snippet (also `.build/release/reverie`,
    /// `swift run reverie`), up to a shell separator.
    static func commands(in snippet: String, file: String) -> [Command] {
        var found: [Command] = []
        let tokens = snippet.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let binary = { (token: String) in
            token == "reverie" || (token.hasSuffix("/reverie") && (token.contains(".build") || token.hasPrefix("/") || token.hasPrefix("./")))
        }
        for (i, token) in tokens.enumerated() where binary(token) {
            var words: [String] = []
            for word in tokens[(i + 1)...] {
                if ["|", "&&", ";", "||", "&", "2>&1"].contains(word) || word.hasPrefix(">") { break }
                if word.hasSuffix(";") { words.append(String(word.dropLast())); break }
                words.append(word)
            }
            guard let first = words.first, first.first?.isLowercase == true else { continue }
            found.append(Command(file: file, words: words))
        }
        return found
    }

    static var allCommands: [Command] {
        documents.flatMap { url in
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            let name = url.path.replacingOccurrences(of: PythonTool.repository.path + "/", with: "")
            return code(in: text).flatMap { commands(in: $0, file: name) }
        }
    }

    /// Names listed under SUBCOMMANDS: in a help text.
    static func subcommands(inHelp help: String) -> [String] {
        guard let section = help.range(of: "SUBCOMMANDS:") else { return [] }
        return help[section.upperBound...].split(separator: "\n").compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let word = line.split(separator: " ").first,
                  word.first?.isLowercase == true else { return nil }
            return String(word)
        }
    }

    static func help(_ words: [String]) throws -> String {
        let result = try EvalCommandTests.reverie(words + ["--help"], timeout: 60)
        #expect(result.status == 0, "reverie \(words.joined(separator: " ")) --help: \(result.err)")
        return result.out
    }

    /// A word standing for something (NAME, RUN_DIR, <run>, …): not checked.
    static func isPlaceholder(_ word: String) -> Bool {
        word.contains("…") || word.contains("<") || word.contains("$") || word.contains("*")
            || (word.contains { $0.isLetter } && word.allSatisfy { $0.isUppercase || $0 == "_" || $0 == "-" || $0.isNumber })
    }

    @Test func theExtractorFindsCommandsAndSkipsComments() {
        let markdown = """
            Run `reverie train ppo-cartpole --seed 2` or `reverie` alone.
            ```
            .build/release/reverie eval runs/x --episodes 20   # reverie uses the newest checkpoint
            swift run reverie bench gemm \\
                --repeats 3 | tee log
            for w in ppo mlp; do reverie bench $w --json; done
            Sources/reverie    the command-line tool's executable
            ```
            """
        let found = Self.code(in: markdown).flatMap { Self.commands(in: $0, file: "x.md") }.map(\.words)
        #expect(found == [["eval", "runs/x", "--episodes", "20"], ["bench", "gemm", "--repeats", "3"], ["bench", "$w", "--json"],
                          ["train", "ppo-cartpole", "--seed", "2"]], "\(found)")
    }

    @Test func everyCommandInTheDocsNamesWhatExists() throws {
        let commands = Self.allCommands
        #expect(commands.count >= 50, "found only \(commands.count) commands: is the extractor reading the docs?")
        let root = PythonTool.repository
        let subcommands = Self.subcommands(inHelp: try Self.help([]))
        #expect(subcommands.contains("train") && subcommands.contains("bench"), "\(subcommands)")
        let presets = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("agents").path)
            .filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }
        let keysOut = try EvalCommandTests.reverie(["train", "--keys"], timeout: 60).out
        let keys = Set(keysOut.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
        #expect(keys.contains("total_steps") && keys.contains("dreamer.train_ratio"), "\(keys.count) keys")
        var helps: [String: String] = [:]
        func helpText(_ path: [String]) throws -> String {
            let key = path.joined(separator: " ")
            if let known = helps[key] { return known }
            let text = try Self.help(path)
            helps[key] = text
            return text
        }
        var problems: [String] = []
        for command in commands {
            var words = command.words[...]
            let sub = words.removeFirst()
            guard subcommands.contains(sub) else { problems.append("\(command): no subcommand '\(sub)'"); continue }
            var path = [sub]
            if let next = words.first, Self.subcommands(inHelp: try helpText(path)).contains(next) {
                path.append(next)
                words.removeFirst()
            }
            let help = try helpText(path)
            let arguments = Array(words)
            for (i, word) in arguments.enumerated() {
                if word.hasPrefix("--") {
                    let option = String(word.prefix { $0 != "=" })
                    if !Self.isPlaceholder(option) && !help.contains(option + " ") && !help.contains(option + "\n")
                        && !help.contains(option + ",") {
                        problems.append("\(command): reverie \(path.joined(separator: " ")) has no \(option)")
                    }
                }
                if word == "--set", i + 1 < arguments.count {
                    let key = String(arguments[i + 1].drop { $0 == "'" || $0 == "\"" }.prefix { $0 != "=" })
                    if !Self.isPlaceholder(key) && !keys.contains(key) { problems.append("\(command): no key \(key)") }
                }
            }
            guard let written = arguments.first, !written.hasPrefix("-"), !Self.isPlaceholder(written) else { continue }
            // `reverie bench zmq|rtrl` in prose names two.
            for target in written.split(separator: "|").map(String.init) {
                switch path {
                case ["train"]:
                    let isFile = target.hasSuffix(".toml") && FileManager.default.fileExists(atPath: root.appendingPathComponent(target).path)
                    if !presets.contains(target) && !isFile { problems.append("\(command): no preset \(target)") }
                case ["bench"]:
                    if !help.contains(" \(target),") && !help.contains(" \(target).") && !help.contains(" \(target))") {
                        problems.append("\(command): no bench workload \(target)")
                    }
                default: break
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.count) stale commands in the docs:\n\(problems.joined(separator: "\n"))")
    }
}
