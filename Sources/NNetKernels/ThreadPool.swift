// A persistent pool of worker threads for data-parallel kernels (GEMM splits its output over it).
// Stage: kernels. Threads are created once; a dispatch costs a few microseconds while workers spin.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A fixed set of threads that run `parallelFor` bodies; the calling thread always takes part.
///
/// A job's indices are dealt out in contiguous ranges, one per participant (the caller is
/// participant 0, worker k is participant k), and each participant works through its own range
/// from the front. So the same thread computes the same index on every call with the same count
/// (OpenMP's static schedule does the same): the part of a weight matrix, an optimizer's moments
/// or an output block that a thread wrote last step is still in its core's caches this step.
/// (This did not cure the 2-vCPU machines' slow mode, in which a cache line takes 350 ns instead
/// of 55-90 to travel between the two vCPUs and every 2-thread epoch is ~2x slower: see
/// docs/performance.md.)
/// A participant that finishes its range takes indices from the back of the others' ranges,
/// so a late or preempted thread holds back at most the index it is running.
///
/// Idle workers spin for about `spinNanoseconds` after their last index (a dispatch then costs
/// ~1-3 µs), then sleep on a condition variable (waking one costs ~20-50 µs).
///
/// A `parallelFor` issued while the pool is busy (nested, or from another thread) runs serially
/// on its caller, so the pool can never deadlock on itself.
public final class ThreadPool: @unchecked Sendable {
    /// Threads that execute work, the caller included. At least 1.
    public let threadCount: Int
    private let state: PoolState
    private var threads: [pthread_t] = []

    /// The pool the kernels use when none is passed. Replace it at startup (before any kernel runs)
    /// to change the thread count; the default is `NNET_THREADS` or the number of online CPUs.
    nonisolated(unsafe) public static var shared = ThreadPool(threadCount: defaultThreadCount)

    /// `NNET_THREADS` if set to a positive integer, else the number of online CPUs.
    public static var defaultThreadCount: Int {
        if let text = getenv("NNET_THREADS"), let value = Int(String(cString: text)), value > 0 {
            return value
        }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Creates `threadCount - 1` worker threads (the caller is participant 0).
    public init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
        state = PoolState(participants: self.threadCount)
        for participant in 1..<self.threadCount {
            let context = Unmanaged.passRetained(WorkerStart(state: state, participant: participant)).toOpaque()
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            pthread_attr_setstacksize(&attributes, 1 << 20)
            var thread = pthread_t()
            let status = pthread_create(&thread, &attributes, { context in
                let start = Unmanaged<WorkerStart>.fromOpaque(context!).takeRetainedValue()
                start.state.workerLoop(participant: start.participant)
                return nil
            }, context)
            pthread_attr_destroy(&attributes)
            if status == 0 {
                threads.append(thread)
            } else {
                Unmanaged<WorkerStart>.fromOpaque(context).release()
                state.participantFailedToStart(participant)
            }
        }
    }

    deinit {
        state.shutdown()
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Calls `task.run(i)` for every i in 0..<count, spread over the pool's threads; returns when
    /// all calls have finished. Each thread takes a contiguous range of indices (the caller the
    /// first), then helps with what is left of the others'. Which thread runs which index is not
    /// guaranteed, so `run` must make each index's result independent of the thread (GEMM does).
    /// Allocates nothing: the workers reach `task` through a pointer to the caller's copy.
    public func parallelFor<Task: ParallelTask>(_ count: Int, _ task: Task) {
        if count <= 0 { return }
        // The caller computes too: in the workers' floating-point mode, whichever thread it is.
        FloatingPointEnvironment.flushSubnormalsOnThisThread()
        if count == 1 || threads.isEmpty || !state.tryAcquire() {
            for i in 0..<count { task.run(i) }
            return
        }
        withUnsafePointer(to: task) { task in
            var job = Job(task: UnsafeRawPointer(task), type: Task.self, count: count,
                          chunks: min(count, Int(PoolState.indexMask)))
            withUnsafeMutablePointer(to: &job) { pointer in
                state.run(UnsafeRawPointer(pointer))
            }
        }
        state.release()
    }

    /// `parallelFor` with a closure, for code off the training step's path (tests, set-up): a
    /// call that reaches the workers makes one heap allocation when `body` captures anything
    /// (`withoutActuallyEscaping` boxes its context). Kernels pass a `ParallelTask` instead.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 || threads.isEmpty {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in parallelFor(count, ClosureTask(body: body)) }
    }
}

/// The body of a `parallelFor`: a struct holding what the loop needs, whose `run(i)` does index
/// i. The workers call it through the pointer and metatype in `Job`, so handing it over
/// allocates nothing (a closure's captured context would be boxed on the heap once per call).
public protocol ParallelTask {
    func run(_ index: Int)
    /// Runs `run(index)` on the task `task` points to (the default is the one to use).
    static func run(_ task: UnsafeRawPointer, index: Int)
}

extension ParallelTask {
    public static func run(_ task: UnsafeRawPointer, index: Int) {
        task.assumingMemoryBound(to: Self.self).pointee.run(index)
    }
}

/// A closure as a task (see `parallelFor(_:_:)` with a closure).
struct ClosureTask: ParallelTask {
    let body: (Int) -> Void
    func run(_ index: Int) { body(index) }
}

/// One `parallelFor` call, living on the caller's stack while it runs.
struct Job {
    let task: UnsafeRawPointer
    let type: any ParallelTask.Type
    let count: Int
    let chunks: Int

    @inline(__always) func runChunk(_ chunk: Int) {
        let start = chunk * count / chunks
        let end = (chunk + 1) * count / chunks
        for i in start..<end { type.run(task, index: i) }
    }
}

/// What a new worker thread needs: the shared state and its participant number.
final class WorkerStart {
    let state: PoolState
    let participant: Int
    init(state: PoolState, participant: Int) {
        self.state = state
        self.participant = participant
    }
}

/// One participant's range of the current job, in one atomic word so that the owner (taking
/// from the front) and a helper (taking from the back) can never both take the same chunk:
/// generation (bits 32...63) | end (16...31) | next (0...15). Padded to its own cache lines.
final class ChunkRange: @unchecked Sendable {
    let word = Atomic<UInt64>(0)
    private let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                          UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    /// Takes the front chunk of generation `generation`'s range; nil when none is left.
    @inline(__always) func takeFront(generation: UInt64) -> Int? {
        while true {
            let current = word.load(ordering: .acquiring)
            let next = current & PoolState.indexMask, end = (current >> 16) & PoolState.indexMask
            if current >> 32 != generation || next >= end { return nil }
            if word.compareExchange(expected: current, desired: current &+ 1,
                                    ordering: .acquiringAndReleasing).exchanged {
                return Int(next)
            }
        }
    }

    /// Takes the back chunk of generation `generation`'s range; nil when none is left.
    @inline(__always) func takeBack(generation: UInt64) -> Int? {
        while true {
            let current = word.load(ordering: .acquiring)
            let next = current & PoolState.indexMask, end = (current >> 16) & PoolState.indexMask
            if current >> 32 != generation || next >= end { return nil }
            if word.compareExchange(expected: current, desired: current &- (1 << 16),
                                    ordering: .acquiringAndReleasing).exchanged {
                return Int(end - 1)
            }
        }
    }
}

/// Shared between the pool and its workers; outlives the pool until every worker has exited.
final class PoolState: @unchecked Sendable {
    static let indexMask: UInt64 = 0xFFFF
    /// How long an idle worker spins before sleeping. Spinning through the 0.1-1 ms of serial
    /// work between a training step's parallel kernels costs CPU time (14% of a CNN epoch on 2
    /// threads), but sleeping through them costs more: 50 µs made a 2-thread CNN epoch 1.2x
    /// slower, and 200 µs left W3's 2-thread epochs at 0.98-1.36 s against 0.91-0.95 s with 1 ms
    /// (a woken worker joins late, more so on a busy machine).
    static let spinNanoseconds = 1_000_000

    /// Bumped once per job; workers watch it for work. Low 32 bits tag the ranges.
    let generation = Atomic<UInt64>(0)
    let completed = Atomic<Int>(0)
    let job = Atomic<UInt>(0)
    let busy = Atomic<Bool>(false)
    let stopping = Atomic<Bool>(false)
    let sleepers = Atomic<Int>(0)
    /// One range per participant.
    let ranges: [ChunkRange]
    /// Participants whose thread failed to start (their ranges stay empty), and how many run.
    private var startFailures: [Bool]
    private var runningParticipants: Int
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()

    init(participants: Int) {
        ranges = (0..<participants).map { _ in ChunkRange() }
        startFailures = [Bool](repeating: false, count: participants)
        runningParticipants = participants
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    /// Called during the pool's init only (before any job): that participant's range stays empty.
    func participantFailedToStart(_ participant: Int) {
        startFailures[participant] = true
        runningParticipants -= 1
    }

    func tryAcquire() -> Bool {
        busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    func release() { busy.store(false, ordering: .releasing) }

    /// Publishes `jobPointer` (a `Job`), works on it, and waits until every chunk has finished.
    func run(_ jobPointer: UnsafeRawPointer) {
        let chunks = jobPointer.assumingMemoryBound(to: Job.self).pointee.chunks
        let next = (generation.load(ordering: .relaxed) &+ 1) & 0xFFFF_FFFF
        completed.store(0, ordering: .relaxed)
        job.store(UInt(bitPattern: jobPointer), ordering: .sequentiallyConsistent)
        // Deal the chunks out in contiguous ranges over the participants that run.
        var dealt = 0, first = 0
        for participant in ranges.indices {
            var end = first
            if !startFailures[participant] {
                dealt += 1
                end = dealt * chunks / runningParticipants
            }
            ranges[participant].word.store((next << 32) | (UInt64(end) << 16) | UInt64(first), ordering: .sequentiallyConsistent)
            first = end
        }
        generation.store(next, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(&mutex)
            pthread_cond_broadcast(&condition)
            pthread_mutex_unlock(&mutex)
        }
        work(generation: next, participant: 0)
        while completed.load(ordering: .acquiring) < chunks { spinPause() }
    }

    /// Runs participant `participant`'s range of generation `generation` from the front, then
    /// the other ranges' chunks from their backs, until none is left.
    @inline(__always) func work(generation: UInt64, participant: Int) {
        while let chunk = ranges[participant].takeFront(generation: generation) { runChunk(chunk) }
        var other = participant
        for _ in 1..<ranges.count {
            other = other + 1 == ranges.count ? 0 : other + 1
            while let chunk = ranges[other].takeBack(generation: generation) { runChunk(chunk) }
        }
    }

    /// Runs one chunk of the current job. Only called with a chunk just taken from a range of the
    /// current generation, so the job cannot have finished and `job` is this generation's.
    @inline(__always) private func runChunk(_ chunk: Int) {
        let pointer = UnsafeRawPointer(bitPattern: job.load(ordering: .acquiring))!
        pointer.assumingMemoryBound(to: Job.self).pointee.runChunk(chunk)
        completed.add(1, ordering: .releasing)
    }

    func workerLoop(participant: Int) {
        FloatingPointEnvironment.flushSubnormalsOnThisThread()
        var seen = generation.load(ordering: .acquiring)
        while !stopping.load(ordering: .relaxed) {
            let current = generation.load(ordering: .acquiring)
            if current != seen {
                seen = current
                work(generation: current, participant: participant)
                continue
            }
            let deadline = PoolState.nanoseconds() + PoolState.spinNanoseconds
            var spins = 0
            while generation.load(ordering: .relaxed) == seen && !stopping.load(ordering: .relaxed) {
                spinPause()
                spins &+= 1
                if spins & 63 == 0 && PoolState.nanoseconds() > deadline {
                    sleep(whileGenerationIs: seen)
                    break
                }
            }
        }
    }

    private func sleep(whileGenerationIs seen: UInt64) {
        pthread_mutex_lock(&mutex)
        sleepers.add(1, ordering: .sequentiallyConsistent)
        while generation.load(ordering: .sequentiallyConsistent) == seen && !stopping.load(ordering: .relaxed) {
            pthread_cond_wait(&condition, &mutex)
        }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(&mutex)
    }

    func shutdown() {
        pthread_mutex_lock(&mutex)
        stopping.store(true, ordering: .sequentiallyConsistent)
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
    }

    static func nanoseconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec * 1_000_000_000 + time.tv_nsec
    }
}

/// The CPU's spin-wait hint (`pause` on x86-64: yields the core's pipeline to a sibling thread and
/// saves power while polling; a no-op elsewhere). Declared by its LLVM name, as `llvmPrefetch` is.
#if arch(x86_64)
@_silgen_name("llvm.x86.sse2.pause")
func spinPause()
#else
@inline(__always) func spinPause() {}
#endif
