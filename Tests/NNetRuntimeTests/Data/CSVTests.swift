// CSV loading: targets by name and index, quoting, class labels, and errors that name file:line and column.

import Testing
import NNetRuntime

extension DataTests {
    @Suite("CSV files")
    struct CSVTests {
        func load(_ text: String, target: [CSVColumn] = [.index(-1)], header: Bool = true, delimiter: Character = ",",
                  classLabels: Bool = false) throws -> Dataset {
            let directory = try TemporaryDirectory()
            try directory.write(text, to: "data.csv")
            return try CSVLoader.load(path: directory.file("data.csv"), target: target, header: header,
                                      delimiter: delimiter, classLabels: classLabels)
        }

        /// The error for `text`, with the temporary directory stripped so messages read `data.csv:3: ...`.
        func error(_ text: String, target: [CSVColumn] = [.index(-1)], header: Bool = true,
                   classLabels: Bool = false) throws -> String {
            let directory = try TemporaryDirectory()
            try directory.write(text, to: "data.csv")
            let message = try #require(dataErrorMessage {
                try CSVLoader.load(path: directory.file("data.csv"), target: target, header: header, classLabels: classLabels)
            })
            return message.replacingOccurrences(of: directory.path + "/", with: "")
        }

        @Test func lastColumnIsTheDefaultTarget() throws {
            let data = try load("a,b,y\n1,2,3\n4,5.5,-6e-1\n")
            #expect(data.name == "data")
            #expect(data.featureShape == [2])
            #expect(data.features == [1, 2, 4, 5.5])
            #expect(data.targetShape == [1])
            #expect(data.targets == [3, -0.6])
            #expect(data.classCount == nil)
            try data.validate()
        }

        @Test func targetsByNameKeepTheRequestedOrder() throws {
            let data = try load("x1,t1,x2,t2\n1,10,2,20\n3,30,4,40\n", target: ["t2", "t1"])
            #expect(data.features == [1, 2, 3, 4])
            #expect(data.targetShape == [2])
            #expect(data.targets == [20, 10, 40, 30])
        }

        @Test func targetsByIndexWithoutHeader() throws {
            let data = try load("7,1,2\n8,3,4\n", target: [0], header: false)
            #expect(data.features == [1, 2, 3, 4])
            #expect(data.targets == [7, 8])
            let fromEnd = try load("7,1,2\n8,3,4\n", target: [-2], header: false)
            #expect(fromEnd.features == [7, 2, 8, 4])
            #expect(fromEnd.targets == [1, 3])
        }

        @Test func quotingLineEndingsAndBlankLines() throws {
            let text = "\u{FEFF}\"a, quoted\",\"b \"\"q\"\"\",y\r\n\"1\", 2 ,\"3\"\r\n\r\n4,5,6\n\n"
            let data = try load(text, target: ["y"])
            #expect(data.features == [1, 2, 4, 5])
            #expect(data.targets == [3, 6])
            let named = try load("\"first\nname\",y\n1,2\n", target: ["first\nname"])
            #expect(named.targets == [1], "a quoted newline belongs to the field")
        }

        @Test func otherDelimiter() throws {
            let semicolon = try load("a;b\n1;2\n3;4\n", delimiter: ";")
            #expect(semicolon.features == [1, 3])
            #expect(semicolon.targets == [2, 4])
        }

        @Test func classLabelsFromTextAndNumbers() throws {
            let text = try load("x,species\n1,setosa\n2,virginica\n3,setosa\n4,versicolor\n", classLabels: true)
            #expect(text.targetShape == [])
            #expect(text.classCount == 3)
            #expect(text.targets == [0, 2, 0, 1], "distinct names in sorted order")
            let numbers = try load("x,label\n1,0\n2,4\n", classLabels: true)
            #expect(numbers.targets == [0, 4])
            #expect(numbers.classCount == 5)
            try numbers.validate()
        }

        // MARK: - Errors

        @Test func nonNumericValueNamesLineAndColumn() throws {
            let message = try error("a,b,y\n1,2,3\n4,abc,6\n")
            #expect(message == "data.csv:3: column 2 ('b'): 'abc' is not a number")
            let noHeader = try error("1,2\n3,x\n", header: false)
            #expect(noHeader == "data.csv:2: column 2: 'x' is not a number")
            #expect(try error("a,y\n1,\n") == "data.csv:2: column 2 ('y'): empty value (missing data?)")
            #expect(try error("a,y\n1,nan\n").contains("'nan' is not a finite number"))
        }

        @Test func raggedRows() throws {
            let message = try error("a,b,y\n1,2,3\n\n4,5\n")
            #expect(message == "data.csv:4: expected 3 fields as in the header (line 1), found 2")
        }

        @Test func emptyFileAndHeaderOnly() throws {
            #expect(try error("") == "data.csv: the file is empty")
            #expect(try error("\n\n") == "data.csv: the file is empty")
            #expect(try error("a,b\n") == "data.csv: no data rows after the header")
        }

        @Test func unknownTargetSuggestsTheClosestName() throws {
            let message = try error("width,height,label\n1,2,3\n", target: ["lable"])
            #expect(message == "data.csv:1: unknown target column 'lable'; did you mean 'label'? (columns: width, height, label)")
            let unrelated = try error("width,height,label\n1,2,3\n", target: ["zzzzzz"])
            #expect(!unrelated.contains("did you mean"))
        }

        @Test func badTargetChoices() throws {
            #expect(try error("1,2\n", target: ["y"], header: false).contains("needs a header row"))
            #expect(try error("a,b\n1,2\n", target: [5]).contains("index 5 is out of range for 2 columns"))
            #expect(try error("a,b\n1,2\n", target: [-3]).contains("index -3 is out of range"))
            #expect(try error("a,b\n1,2\n", target: [0, 1]).contains("no feature columns remain"))
            #expect(try error("a,b,c\n1,2,3\n", target: [1, "b"]).contains("listed twice"))
            #expect(try error("a,b,c\n1,2,3\n", target: [1, 2], classLabels: true).contains("exactly one target column"))
        }

        @Test func unterminatedQuote() throws {
            let message = try error("a,y\n1,2\n\"3,4\n5,6\n")
            #expect(message == "data.csv:3: unterminated quoted field (no closing '\"')")
            #expect(try error("a,y\n\"1\"x,2\n").contains("data.csv:2: unexpected 'x' after a closing quote"))
        }

        @Test func missingFile() throws {
            let directory = try TemporaryDirectory()
            let message = dataErrorMessage { try CSVLoader.load(path: directory.file("none.csv")) }
            #expect(message?.contains("cannot open") == true)
        }
    }
}
