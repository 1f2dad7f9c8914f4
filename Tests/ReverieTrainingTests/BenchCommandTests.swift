import Testing

/// `reverie bench`'s lists of numbers and sizes: a token that is not one is an error
/// naming the option and the token, before any measurement starts (it was
/// once dropped silently, so `--lengths 10,4O` measured length 10 alone).
@Suite struct BenchCommandTests {
    @Test(arguments: [
        (["bench", "tmaze", "--lengths", "10,4O"], "--lengths takes positive integers separated by commas (10,40); got \"4O\""),
        (["bench", "backbone", "--lengths", "64,0"], "--lengths takes positive integers separated by commas (64,256,1024); got \"0\""),
        (["bench", "dreamer", "--seeds", "1,,3"], "--seeds takes non-negative integers separated by commas (1,2,3); got \"\""),
        (["bench", "ppo-minatar", "--seeds=-1"], "--seeds takes non-negative integers separated by commas (1,2,3); got \"-1\""),
        (["bench", "wm-memory", "--horizons", "10,fifty"], "--horizons takes positive integers separated by commas (10,50,100); got \"fifty\""),
        (["bench", "wm-memory", "--train-length", "1"], "wm-memory trains on batches of at least one sequence of at least 2 steps; got --train-batch 16, --train-length 1"),
    ])
    func aBadNumberInAListIsNamed(_ arguments: [String], _ message: String) throws {
        let (status, out, err) = try EvalCommandTests.reverie(arguments)
        #expect(status != 0)
        #expect(err.contains(message), "stderr: \(err)")
        #expect(out.isEmpty, "nothing is measured: \(out)")
    }
}
