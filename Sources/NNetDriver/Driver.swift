// Entry point shared by the executable and the tests: parses the command line and runs a command.
// Stage: driver.

public enum Driver {
    public static func main(_ arguments: [String]) -> Int32 { 0 }
}
