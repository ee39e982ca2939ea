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
/// Work is published through one atomic *ticket* word (generation, chunk count, next chunk) that
/// every participant claims chunks from with compare-and-swap, so a worker that is slow to wake
/// simply finds nothing left and the caller finishes the job alone. Idle workers spin for about
/// `spinNanoseconds` after their last chunk (a dispatch then costs ~1-3 µs), then sleep on a
/// condition variable (waking one costs ~20-50 µs).
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

    /// Creates `threadCount - 1` worker threads (the caller is the last participant).
    public init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
        state = PoolState()
        for _ in 1..<self.threadCount {
            let context = Unmanaged.passRetained(state).toOpaque()
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            pthread_attr_setstacksize(&attributes, 1 << 20)
            var thread = pthread_t()
            let status = pthread_create(&thread, &attributes, { context in
                let state = Unmanaged<PoolState>.fromOpaque(context!).takeRetainedValue()
                state.workerLoop()
                return nil
            }, context)
            pthread_attr_destroy(&attributes)
            if status == 0 { threads.append(thread) } else { Unmanaged<PoolState>.fromOpaque(context).release() }
        }
    }

    deinit {
        state.shutdown()
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Calls `body(i)` for every i in 0..<count, spread over the pool's threads (each claims the
    /// next unclaimed index); returns when all calls have finished. Which thread runs which index is unspecified,
    /// so `body` must make each index's result independent of the thread (GEMM does).
    ///
    /// A call that reaches the workers makes one heap allocation when `body` captures anything
    /// (`withoutActuallyEscaping` copies its context to the heap; measured with the allocation
    /// counter). Kernels therefore call it only for work large enough to split.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        // The caller computes too: in the workers' floating-point mode, whichever thread it is.
        FloatingPointEnvironment.flushSubnormalsOnThisThread()
        if count == 1 || threads.isEmpty || !state.tryAcquire() {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            // One index per chunk, claimed in turn: a thread that starts late or is preempted
            // holds back at most one index, not a quarter of the job (on a busy machine the caller
            // spent 14% of a CNN epoch waiting with 4 chunks per thread).
            var job = Job(body: body, count: count, chunks: min(count, Int(PoolState.indexMask)))
            withUnsafeMutablePointer(to: &job) { pointer in
                state.run(UnsafeRawPointer(pointer))
            }
        }
        state.release()
    }
}

/// One `parallelFor` call, living on the caller's stack while it runs.
struct Job {
    let body: (Int) -> Void
    let count: Int
    let chunks: Int

    @inline(__always) func runChunk(_ chunk: Int) {
        let start = chunk * count / chunks
        let end = (chunk + 1) * count / chunks
        for i in start..<end { body(i) }
    }
}

/// Shared between the pool and its workers; outlives the pool until every worker has exited.
final class PoolState: @unchecked Sendable {
    /// Ticket layout: generation (bits 32...63) | chunk count (16...31) | next chunk (0...15).
    static let indexMask: UInt64 = 0xFFFF
    /// How long an idle worker spins before sleeping. Spinning through the 0.1-1 ms of serial
    /// work between a training step's parallel kernels costs CPU time (14% of a CNN epoch on 2
    /// threads), but sleeping through them costs more: 50 µs made a 2-thread CNN epoch 1.2x
    /// slower, and 200 µs left W3's 2-thread epochs at 0.98-1.36 s against 0.91-0.95 s with 1 ms
    /// (a woken worker joins late, more so on a busy machine).
    static let spinNanoseconds = 1_000_000

    let ticket = Atomic<UInt64>(0)
    let completed = Atomic<Int>(0)
    let job = Atomic<UInt>(0)
    let busy = Atomic<Bool>(false)
    let stopping = Atomic<Bool>(false)
    let sleepers = Atomic<Int>(0)
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    func tryAcquire() -> Bool {
        busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    func release() { busy.store(false, ordering: .releasing) }

    /// Publishes `jobPointer` (a `Job`), works on it, and waits until every chunk has finished.
    func run(_ jobPointer: UnsafeRawPointer) {
        let chunks = UInt64(jobPointer.assumingMemoryBound(to: Job.self).pointee.chunks)
        completed.store(0, ordering: .relaxed)
        job.store(UInt(bitPattern: jobPointer), ordering: .relaxed)
        let generation = (ticket.load(ordering: .relaxed) >> 32) &+ 1
        ticket.store((generation << 32) | (chunks << 16), ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(&mutex)
            pthread_cond_broadcast(&condition)
            pthread_mutex_unlock(&mutex)
        }
        while claimAndRun() {}
        while completed.load(ordering: .acquiring) < Int(chunks) { spinPause() }
    }

    /// Claims one chunk of the current job and runs it; false when none is left.
    @inline(__always) func claimAndRun() -> Bool {
        while true {
            let current = ticket.load(ordering: .acquiring)
            let chunks = (current >> 16) & PoolState.indexMask
            let next = current & PoolState.indexMask
            if next >= chunks { return false }
            // The job cannot change while an unclaimed chunk remains, so this read is of `current`'s job.
            let pointer = UnsafeRawPointer(bitPattern: job.load(ordering: .acquiring))!
            if ticket.compareExchange(expected: current, desired: current &+ 1,
                                      ordering: .acquiringAndReleasing).exchanged {
                pointer.assumingMemoryBound(to: Job.self).pointee.runChunk(Int(next))
                completed.add(1, ordering: .releasing)
                return true
            }
        }
    }

    func workerLoop() {
        FloatingPointEnvironment.flushSubnormalsOnThisThread()
        while !stopping.load(ordering: .relaxed) {
            if claimAndRun() { continue }
            let seen = ticket.load(ordering: .acquiring)
            let deadline = PoolState.nanoseconds() + PoolState.spinNanoseconds
            var spins = 0
            while ticket.load(ordering: .relaxed) == seen && !stopping.load(ordering: .relaxed) {
                spinPause()
                spins &+= 1
                if spins & 63 == 0 && PoolState.nanoseconds() > deadline {
                    sleep(whileTicketIs: seen)
                    break
                }
            }
        }
    }

    private func sleep(whileTicketIs seen: UInt64) {
        pthread_mutex_lock(&mutex)
        sleepers.add(1, ordering: .sequentiallyConsistent)
        while ticket.load(ordering: .sequentiallyConsistent) == seen && !stopping.load(ordering: .relaxed) {
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
