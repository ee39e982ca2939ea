// Tests of the JSON Lines event log: serialisation, escaping, numbers, key order, and that the
// file holds every line as soon as it is written. Output is read back with JSONSerialization.

import Foundation
import Testing
import NNetDriver

@Suite struct JSONValueTests {
    @Test func scalars() {
        #expect(JSONValue.null.serialized == "null")
        #expect(JSONValue.bool(true).serialized == "true")
        #expect(JSONValue.bool(false).serialized == "false")
        #expect(JSONValue.int(-42).serialized == "-42")
        #expect(JSONValue.string("hi").serialized == "\"hi\"")
    }

    @Test(arguments: [
        (3.0, "3"), (-0.0, "0"), (0.1, "0.1"), (0.41234, "0.41234"), (1e-05, "1e-05"), (2.5e-8, "2.5e-08"),
        (1e20, "1e+20"), (9007199254740991.0, "9007199254740991"), (123456.5, "123456.5"),
        (Double.nan, "null"), (Double.infinity, "null"), (-Double.infinity, "null"),
    ])
    func numbers(value: Double, expected: String) {
        #expect(JSONValue.number(value).serialized == expected)
    }

    @Test func doublesRoundTripExactly() throws {
        for value in [0.1, 1.0 / 3.0, 2.302585092994046, 1e-300, 6.02214076e23, -7.5e-7, Double.ulpOfOne] {
            let parsed = try JSONSerialization.jsonObject(with: Data("[\(JSONValue.number(value).serialized)]".utf8))
            #expect((parsed as? [NSNumber])?.first?.doubleValue == value)
        }
    }

    @Test func stringsAreEscaped() throws {
        let tricky = "quote \" backslash \\ newline \n tab \t cr \r bell \u{07} nul \u{00} del \u{7F} é ✓ 🧠"
        let text = JSONValue.string(tricky).serialized
        #expect(text == #""quote \" backslash \\ newline \n tab \t cr \r bell \u0007 nul \u0000 del \u007f é ✓ 🧠""#)
        let parsed = try JSONSerialization.jsonObject(with: Data("[\(text)]".utf8), options: [])
        #expect((parsed as? [String])?.first == tricky)
    }

    @Test func objectsKeepKeyOrderAndNest() {
        let value: JSONValue = ["z": 1, "a": [true, nil, "x", 2.5], "m": ["inner": .object([])]]
        #expect(value.serialized == #"{"z":1,"a":[true,null,"x",2.5],"m":{"inner":{}}}"#)
        #expect(JSONValue.array([]).serialized == "[]")
    }

    @Test func equality() {
        #expect(JSONValue.object([("a", 1), ("b", 2)]) == ["a": 1, "b": 2])
        #expect(JSONValue.object([("a", 1), ("b", 2)]) != ["b": 2, "a": 1])
        #expect(JSONValue.number(.nan) == .number(.nan))
        #expect(JSONValue.int(1) != .number(1))
    }
}

@Suite struct EventLogTests {
    @Test func eventsAreInTheFileAsSoonAsTheyAreWritten() throws {
        let path = temporaryPath("events.jsonl")
        defer { unlink(path) }
        let log = try EventLog(path: path)
        log.write(["event": "start", "program": "mnist.nnet"])
        // Read before closing: nothing may wait in a buffer.
        #expect(try String(contentsOfFile: path, encoding: .utf8) == #"{"event":"start","program":"mnist.nnet"}"# + "\n")
        log.write(EventLog.epochEvent(model: "classifier", epoch: 1, loss: 0.25,
                                      metrics: [("accuracy", 0.9), ("top5", 0.99)], seconds: 3.5))
        log.close()
        #expect(!log.write(["event": "late"]))
        log.close()

        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[1] == #"{"event":"epoch","model":"classifier","epoch":1,"loss":0.25,"metrics":{"accuracy":0.9,"top5":0.99},"seconds":3.5}"#)
        let object = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any]
        #expect(object?["model"] as? String == "classifier")
        #expect(object?["epoch"] as? Int == 1)
        #expect((object?["metrics"] as? [String: Double])?["top5"] == 0.99)
    }

    @Test func evaluateEventAndValidation() throws {
        let evaluate = EventLog.evaluateEvent(model: "m", dataset: "test", loss: .nan, metrics: [("accuracy", 1)])
        #expect(evaluate.serialized == #"{"event":"evaluate","model":"m","dataset":"test","loss":null,"metrics":{"accuracy":1}}"#)
        let epoch = EventLog.epochEvent(model: "m", epoch: 2, loss: 1, metrics: [],
                                        validation: [("loss", 1.5)], seconds: 0.25)
        #expect(epoch.serialized == #"{"event":"epoch","model":"m","epoch":2,"loss":1,"metrics":{},"validation":{"loss":1.5},"seconds":0.25}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(evaluate.serialized.utf8)) as? [String: Any]
        #expect(parsed?["loss"] is NSNull)
    }

    @Test func openingTruncatesAnOldLog() throws {
        let path = temporaryPath("old.jsonl")
        defer { unlink(path) }
        try "old line\nanother\n".write(toFile: path, atomically: false, encoding: .utf8)
        let log = try EventLog(path: path)
        log.write(["n": 1])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"n\":1}\n")
    }

    @Test func unopenableFileThrowsWithTheReason() {
        #expect {
            _ = try EventLog(path: "/nonexistent-directory-for-nnet/x.jsonl")
        } throws: { error in
            let description = String(describing: error)
            return description.contains("/nonexistent-directory-for-nnet/x.jsonl") && description.contains("No such file")
        }
    }
}
