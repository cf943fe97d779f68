import type { ScenarioResult, SuiteResult } from '../suite/results.js'
import { formatCpu, formatCpuPerOperation, markdownTable } from './format.js'
import { detailTable, SATURATED, summaryTable, targetTable } from './tables.js'
import { checkTargets, type TargetCheck } from './targets.js'

function table(parts: { header: string[]; rows: string[][]; alignRight: boolean[] }): string {
  return markdownTable(parts.header, parts.rows, parts.alignRight)
}

function generatorSection(results: ScenarioResult[]): string {
  const ok = results.filter((result) => result.status === 'ok')
  const bound = ok.filter((result) => result.generatorCpu >= SATURATED)
  const lines = ['## Is the load generator the bottleneck?', '']
  const kinds = ['echo', 'broadcast', 'connect'] as const
  for (const kind of kinds) {
    const rows = ok.filter((result) => result.kind === kind)
    if (rows.length === 0) continue
    const busiest = rows.reduce((top, row) => (row.generatorCpu > top.generatorCpu ? row : top))
    lines.push(
      `- ${kind}: the busiest generator process used ${formatCpu(busiest.generatorCpu)} of its core (${busiest.scenario} against ${busiest.serverLabel}).`,
    )
  }
  lines.push('')
  if (bound.length === 0) {
    lines.push(
      `No generator process reached ${formatCpu(SATURATED)} of its core, so every figure measures the server, not the generator.`,
    )
  } else {
    lines.push(
      `These cells had a generator process at or above ${formatCpu(SATURATED)} of its core, so they are a lower bound on the server (where the server is near 100% too, both were saturated and the figure is close to the server's limit; a ratio against such a cell flatters the other server):`,
    )
    for (const row of bound) {
      const both =
        row.serverCpu >= SATURATED ? ' (both saturated)' : ' (the generator is the limit)'
      lines.push(
        `- ${row.scenario} against ${row.serverLabel}: generator ${formatCpu(row.generatorCpu)}, server ${formatCpu(row.serverCpu)}${both}.`,
      )
    }
    lines.push(
      '',
      'Generator processes share core 0, so more of them (`--generators N`) add no CPU here; the generator already pre-builds its frames, parses in place and reads into one shared buffer. What remains is the kernel cost of one read per delivery when the server writes every frame separately (the frame-once + cork server coalesces them and needs far less).',
    )
  }
  const noisy = ok.filter((result) => result.otherCpu >= 0.2)
  if (noisy.length > 0) {
    lines.push('')
    lines.push(
      `Other processes on the machine used at least 20% of a core during ${noisy.length} of ${ok.length} windows (the "other CPU" column; the busiest had ${formatCpu(Math.max(...noisy.map((row) => row.otherCpu)))}). Those cells are less trustworthy.`,
    )
  }
  return lines.join('\n')
}

/** What one operation of a scenario's unit is, for "µs per ..." lines. */
const OPERATION: Record<string, string> = {
  'msg/s': 'message',
  'deliveries/s': 'delivery',
  'conn/s': 'connection',
}

/**
 * The server CPU per operation, user + kernel, of both sides of every missed rate target of
 * this run: where ours spends more, and whether in its own code or in system calls.
 */
function cpuBehindMissedTargets(results: ScenarioResult[], checks: TargetCheck[]): string {
  const rowOf = (server: string, scenario: string): ScenarioResult | undefined =>
    results.find((result) => result.server === server && result.scenario === scenario)
  const lines: string[] = []
  for (const check of checks) {
    if (check.met !== false || check.comparison !== '>=') continue
    const ours = rowOf(check.ours, check.scenario)
    const reference = rowOf(check.reference, check.scenario)
    if (ours === undefined || reference === undefined) continue
    const oursCpu = formatCpuPerOperation(ours)
    const referenceCpu = formatCpuPerOperation(reference)
    if (oursCpu === '' || referenceCpu === '') continue
    lines.push(
      `- ${check.scenario}, ${ours.serverLabel}: ${oursCpu} µs per ${OPERATION[ours.unit] ?? 'operation'}; ${reference.serverLabel}: ${referenceCpu}.`,
    )
  }
  const intro =
    'Server CPU per operation behind each missed rate target in this run, user + kernel mode in µs (the "server µs/op" column; kernel time is mostly socket writes and reads: one write per frame costs the same whoever makes it, and a server that coalesces a turn\'s frames into one write per socket pays it once for all of them):'
  return lines.length === 0
    ? 'Every rate target was met in this run.'
    : [intro, '', ...lines].join('\n')
}

const METHOD = `## Method

- Every server is a small standalone program started as a child process pinned to core 1
  (\`taskset -c 1\`); the load generator runs in separate processes pinned to core 0.
  The two-process variants put both server processes on core 1 and share a private,
  unpinned \`redis-server\` started for the run (no persistence). Left to the scheduler,
  Redis runs on both cores, beside the generator or the servers (the CPU it last ran on, read
  150 times in RedisChannelLayer's cells: core 1 in 33 of the paced cell's readings, in 88 of
  the burst cell's); \`BENCH_REDIS_CPUS=0\` keeps it on the generator's core. One
  run of the Redis cells each way (3 repeats) moved every Redis server's rate, in both
  directions, but no ratio to socket.io's adapter consistently: RedisChannelLayer paced 1.03x
  unpinned and 0.96x on core 0, burst 0.82x and 0.79x; with relays 1.10x and 1.05x, 0.91x and
  0.84x.
- The generator speaks WebSocket on bare \`net.Socket\`s: a precomputed handshake, frames built
  once and written many times (a zero masking key, which RFC 6455 allows on the wire), and
  zero-copy parsing of server frames. It also speaks socket.io's engine.io framing
  (\`42["m",...]\` events, ping/pong). Its CPU time over each window is reported ("gen CPU").
- Every server does the same work. Echo: send each message back. Broadcast: every connection on
  \`/broadcast/\` joins one group; a message from any member is sent to every member (Channels:
  \`group_add\` in \`connect\`, \`group_send\` in \`receive\`, a \`chat_message\` handler sending to the
  client; socket.io: a room; raw ws: a \`Set\`). The frame-once + cork server frames each
  broadcast once and corks every socket until \`setImmediate\`. The node-channels "relays"
  servers are the same program with \`chat.message\` declared as a relay
  (\`static relays = { 'chat.message': (event) => ({ textData: event.text }) }\`) instead of the
  \`chat_message\` handler: a group send builds the frame once, and idle members send it
  without running a handler (docs/consumers.md, "Relays").
- Echo: N clients each keep K messages outstanding and send the next as each echo arrives;
  the rate is echoes received per second, the latency the round trip.
- Broadcast: receivers connect (split evenly over the two processes in the cross-process
  variants), one sender (also a member) publishes; paced sends one message and waits for all
  deliveries; burst writes B messages at once and waits for all B x receivers deliveries.
  The rate is deliveries per second; latency is from the send to each delivery (one clock:
  sender and receivers share a generator process).
- Connection setup and idle memory: on a fresh server, connections are opened with a fixed
  number of handshakes outstanding (the rate), then held idle while the server's RSS is read
  (after a full GC for Node servers, started with \`--expose-gc\`); memory per connection is the
  RSS delta over the count ("heap KiB/conn": V8 heap + external delta, Node servers only). The
  Node servers run with a young generation of fixed size (16 MiB semi-spaces, V8's largest
  on 64-bit, which a busy server reaches anyway), filled once before they announce
  themselves, so the reading holds none of its growth ("young gen KiB/conn", 0 when so).
  Without that, the first burst grew the young generation where it was still small (raw
  ws: 5.7 KiB per connection of the 7.2-8.0 read), or first touched pages reserved while
  starting (node-channels, which allocates more while loading: nothing grown, 9.6-9.7 read);
  with it, raw ws read 3.5-3.8 and node-channels 4.9-5.6 (runs of three readings each, on
  the machine of the run at 93d258b). Memory
  is read on the first repeat, when the server is fresh, and before it on as many more fresh
  processes as there are further repeats (each takes the connections once and is replaced);
  the cell shows the median reading, with every reading in brackets in "All figures" (one
  process's reading moves by several hundredths from process to process). Only these runs
  force collections, so the later repeats open connections on a heap in its natural state,
  not one just compacted (which costs every Node server more setup time). The rate is the
  median of the repeats, not counting the extra memory runs.
- Settings: every server runs with its defaults, except node-channels' per-address connection
  cap (256; every client here is 127.0.0.1), which is off, and its per-socket rate limit, which
  stays on but out of reach (1e9 messages/s) so its cost is measured. Channels runs on Daphne
  from Debian's packages with \`channels.layers.InMemoryChannelLayer\` or
  \`channels_redis.core.RedisChannelLayer\`; all Redis variants use one private Redis with a
  fresh key prefix per server.
- Each cell has a warm-up, then a fixed window; with several repeats the table shows the
  median, and "spread" is the highest repeat minus the lowest, over that median. "server
  CPU" is the server processes' CPU over the window (100% = one core; summed over their
  threads' nanosecond run times in /proc), "other CPU" is whatever else on the machine ran
  meanwhile. "server µs/op" is that CPU per message, delivery or connection, split into user
  mode (JavaScript, V8, Node's own C++) and kernel mode (system calls: socket writes and
  reads over loopback, epoll) in the proportion of the processes' utime and stime ticks.
- Each server is started just before its first cell (its memory is read on the fresh
  process) and stays up, idle between its cells (after the extra memory runs, the last
  process started stays up). The cells run scenario by scenario and, within a scenario,
  repeat by repeat in server order (every server's first repeat, then every server's
  second...), so the figures a ratio compares were measured seconds apart: a
  slow spell of the machine lands on several servers' repeats rather than on all of one's.
  It still moves single cells: on the Intel Xeon of the run at 0b2a08c, repeats of one
  cell spread by up to 77%, the frame-once + cork server read 1.26M deliveries/s in one full
  run and 1.91M in the next, and every cell whose target those two runs missed met it in runs
  of the cell alone (3 repeats) but one: echo-64B-50x1 1.02x, echo-16KiB-200x10
  1.04x, the in-memory paced cell with relays 1.04x (burst: 1.16x and 1.05x in two runs),
  RedisChannelLayer paced 1.11x and with relays 1.36x against socket.io's adapter; not the
  in-memory burst with a handler (0.46x-0.50x, see below).`

/** Why the missed targets are missed, as measured with profiles, syscall counts and the figures above. */
const BEHIND = `What the list above shows, with what profiles, syscall traces and experiments added:

- RedisChannelLayer against socket.io's adapter (every such target met on the page of
  ea0cc0a; some missed on earlier pages): both wrote about one frame per socket write (a
  syscall count of both in the paced cell: one write per delivery and little else). On a
  burst ours spent more CPU per delivery, in user mode; in a paced cycle it could spend less
  and still deliver fewer per second, its processes idle while they wait on Redis ("server
  CPU" under 100%). The sending consumer awaits each
  \`groupSend\` (as \`await group_send\` in Channels) before it takes its next frame: in
  channels_redis two round trips (the group read, then the store), in ours one for a large
  group unchanged since this process last read it (a script checks in Redis that the group
  has exactly the members of a snapshot taken with that read, then stores; docs/layers.md).
  So on a burst the receiving processes found one message per pop (a count of the pops in the
  burst cell: every one held a single message): the sender's reply, and so its next send,
  waited behind its own process's writes of the last message, and every frame took a socket
  write of its own; socket.io's adapter publishes without waiting. The server now writes 64
  sockets per pass of the event loop and reads I/O between passes (packages/server/README.md,
  "Output"): a pop then held up to three messages, the process that does not send wrote 1.5-2
  frames per socket write instead of 1.0 (a preloaded write counter), and the burst cell rose
  18-85% in four alternating pairs on the machine of the run at be39209, an Intel Xeon
  (deliveries/s, two pairs of 3
  repeats then two of 2): 72k, 96k, 85k and 84k to 123k, 135k, 155k and 156k with the
  handler; 79k, 133k, 106k and 100k to 115k, 158k, 161k and 142k with relays. The paced cells
  stayed within their spread. With 2 000 receivers (1 000 per process, a message's output past
  the 64 KiB at which the batch was written out whole at the next tick), that gain was gone
  until the next-tick write became a pass of 64 sockets too: 112k and 85k to 220k and 171k
  deliveries/s with the handler, 110k and 83k to 185k and 197k with relays (two alternating
  pairs, 2 repeats; the receiver count changed in a scratch copy of the configuration). Three alternating runs of the Redis servers' cells (3 repeats
  each), ratios to socket.io's adapter, medians: skipping the read took the burst cell from
  0.79 to 0.93 (relays 0.90 to 0.97) and left the paced one where it was (0.95 and 1.03 to
  1.03 and 1.02); process-local names of 34 characters instead of 74 (every stored group
  message lists the members' names), in four such pairs: paced 0.97 to 1.01 (relays 0.97 to
  1.06), burst 0.81 to 0.85 (0.80 to 0.88), with the private redis-server's CPU over the whole
  run 11% lower. Before, on a paced cycle the two round trips and the group read (about
  0.45 ms of the sender's CPU for 1 000 members) lengthened each cycle. Taking the group read out altogether (an unsafe cached
  member list, tried only to measure) left the burst cell within its run-to-run spread: it is
  bound by CPU per frame on the shared core. Without sockets (\`consumer-path-cli.js --layers
  memory,redis\`: 1 000 members in one process, one message per round, pinned) the layer's part
  of a group delivery, the group send included, is 1.5-1.7 µs user per delivery with the async
  handler (0.32-0.43 with the in-memory layer) and 0.7-1.3 with relays (about 0.04). Per send
  to 1 000 members, in a CPU profile of the relay form: ioredis making the group read 1 000
  Buffers and the comparison with the kept plan, about 150 µs; garbage collection, 75; writing
  the store (76 KB), 74; joining the popped message's TCP chunks, 35. The receiving side
  checked every channel of a group message against the queue it came from (\`startsWith\` on
  the 74-character names of then, about 100 ns each); a list found to belong is now remembered: 1 731 ->
  1 592 ns user per delivery with the handler (medians of seven alternating runs). A trace
  of the paced cell (timestamps in both processes, 107 cycles; medians) shows where a cycle's
  idle time goes: the sender's group read came back 1.1 ms after its consumer took the frame,
  the other process popped the message at 2.9 ms and the sender its own at 6.3 ms, in a cycle
  of 19 ms, with Redis at times on the servers' core (Method); socket.io's adapter hands a
  broadcast to the sender's own members before it publishes it. The in-memory layer writes
  all ten frames of a burst in one socket write; socket.io's processes wrote one frame per
  write.
  RedisPubSubChannelLayer publishes once, without the group read, and is the faster layer.
  One RedisChannelLayer group send to the benchmark's 1,000 members cost the sending process
  about 0.75 ms of user time (\`redis-group-send-cli.js\`, on the machine of an earlier page), close to
  our excess of user time per delivery over socket.io's in the burst cell; a quarter of it
  was bucketing the members by process and encoding each process's channel list, done again
  for every send. A group send now reuses them while the group read returns the same
  members: 838 -> 612 µs user and 1 176 -> 924 µs wall per send (medians of five
  alternating runs of the tool).
- RedisChannelLayer against channels_redis on Daphne: ours uses about a tenth of the CPU per
  delivery (the list above); the paced cell's rate ratio comes out a little lower, as our
  processes wait on the round trips for part of each cycle where Daphne's are busy throughout.
- Group sends to consumers with a \`chat_message\` handler: every member runs its handler (a
  message copy, a hand-over, an async call and its promise), where the frame-once + cork
  server only writes; relays skip the handler for idle members. Both batch a turn's frames
  into one write per socket (their kernel time per delivery is the frame-once server's), so
  what remains is user-mode work per member. Without sockets (1 000 members, bursts of 10,
  callgrind) the handler path costs about 3 700 instructions per delivery in the consumer and
  the layer alone. \`consumer-path-cli.js\` measures that part (the consumers and the
  in-memory layer, served by a stand-in for the server): on the machine of an earlier page an async
  \`chat_message\` costs 510-620 ns user per delivery, a synchronous one 290-390, a relay
  about 30; the async call, its \`await\` and its promise are about 240 ns of the handler's.
  The layer read the clock (\`Date.now()\`, 63 ns here) for every message a member read
  ahead, to drop it if it had expired; it now takes one reading per event-loop callback and
  reads the time itself only within a second of the first expiry: 649 -> 532 ns per delivery
  with that tool, 1 299 -> 1 165 ns user for the rest of the turn with the group-send tool
  (medians of nine alternating runs each). Queuing a read-ahead message in the mailbox at
  once instead of a microtask later saved 18 ns without sockets and nothing measurable with
  them; taking queued messages by index instead of \`shift()\` showed no gain in five runs
  without sockets; keeping the channel's queue on its reader, so a read skips the lookup by
  name, 526 -> 504 ns without sockets and no gain with them (medians of nine and seven). None
  is kept. Between two earlier pages the machine ran every server slower, ours more than the
  bar (burst cell, deliveries/s, the earlier page against the later:
  the bar 1.17M -> 0.79M, the handler form 0.84M -> 0.51M, relays 1.42M -> 0.74M; raw ws
  echo one at a time 94 000 -> 69 000). Relays: \`node bench/dist/tools/group-send-path-cli.js\` runs a server
  and its 1 000 members' clients in two processes and times, per delivery, a burst of ten
  sends (the synchronous run of group sends up to the output batch, or of corked writes) and
  the rest of the turn (the socket writes). Pinned to one core, on the faster of those two
  machines: relayed sends took 100-140 ns, the frame-once + cork server's 35-42 ns, and
  the rest of the turn cost both about the same (130-240 ns user, 580-700 ns system); on
  the slower one: relayed sends 113-249 ns in single runs (131 ns, the median of sixteen), the
  bar's 41-47. The relayed sends' time hardly
  moves with the number of members (about 90-140 ns from 100 to 3 000), so it
  is not the members' objects falling out of the CPU's caches: a relayed delivery passes a
  chain of calls, each with its checks (the layer's loop, the member's source, mailbox and
  consumer, the application instance's send, the connection, the output batch), where a
  corked write is one stream call. Keeping the output batch's place for a socket on its connection rather
  than as a property of the socket, and making the application's \`send\` a bound method
  rather than an arrow function calling a private method, took the relayed sends from
  120-189 ns (at d5e9b64) to 101-138 ns (four runs of the tool each). The members' sockets
  held the same ten frames at the end of the turn, and each socket's were copied into a
  buffer of its own; now every socket given the same frames in a turn is written the one
  copy: the rest of the turn's user time went from 203 to 160 ns per delivery (medians of
  twelve alternating runs of the tool), and sends plus the rest of the turn came to 916 ns
  per delivery against the frame-once + cork server's 904 (medians of eight runs).
  On the Intel Xeon of the run at 0b2a08c the handler form read 0.46x-0.52x of the bar (two
  full runs and two runs of the cell alone; relays 0.87x-1.16x in six), spending 3.3-3.7
  times the bar's user time per delivery (0.63-1.07 µs against 0.19-0.30) for about its
  kernel time (0.31-0.56 µs against 0.31-0.46). Both forms wrote a burst's ten frames to a
  socket in one write (660 bytes a write in both, counted by a preloaded counter of socket
  writes), so what remains is user-mode work per member. Linux's \`perf\` over
  \`consumer-path-cli.js\` (it names V8's built-in functions, which a CPU profile charges to
  their callers; Node's \`--perf-basic-prof\` names the JavaScript) put about 16% of the samples in
  the promise machinery (fulfilling promises, their reaction jobs, \`then\`, the microtask
  queue, the handler's \`await\`), 8% in the channel's lookup by name when a member's read is
  re-armed, 4% in the handler check's read of the handler by name on the consumer (a
  megamorphic keyed load once an application has several handler names), 3% in write
  barriers and 2% in each member's copy of the message. Skipping the handler check (unsafe,
  tried only to measure) took the tool from 274-338 to 241-258 ns per delivery in four
  alternating runs, and skipping the lookup as well gave no steady further gain: an eighth of
  the path without sockets, 4%-6% of the handler form's user time in the cell.
- Echo: the difference is mostly user mode (for 64-byte messages our kernel time per message
  is raw ws's or less): each message passes the server's input queue, the consumer's mailbox,
  its async handler and send, and the output batch (written out at the end of the event-loop
  turn), where raw ws calls \`ws.send()\` in its listener; a 16 KiB text is also made a
  string (ASGI's \`text\`) where raw ws sends back the Buffer it received. The 16 KiB cell
  with 10 in flight is bimodal from one server process to the next: 10.4-11.5 or 15.9-17.9
  µs of user time per message, with the same profile shape (every function slower in
  proportion) and the same output-batch counts (one frame encoded per flush, the next three
  reused), so the rate ratio has come out anywhere from 0.69x to 1.11x.
- Connection setup: per connection the server allocates about 5 KiB more than raw ws (V8's
  sampling heap profiler over 3 000 connections, collected objects included, with
  \`connection-memory-cli.js\`: 16.3 KiB against 11.4, 18.3 before 335c70a; the scope,
  routing, the application instance, consumer, mailbox and channel, their promises) and
  keeps about 1.1 KiB more (2 KiB before), which costs scavenges as well as the JavaScript
  itself: before 335c70a, 5 000 connections from a plain ws client
  cost node-channels 272 ms of scavenges against raw ws's 158 (\`--trace-gc-nvp\`; 28 MB
  promoted to the old generation against 14.6), as a scavenge's cost follows what survives
  it and an idle connection's objects all do. The one system call of ours that raw ws does
  not make, \`getpeername\` for \`scope.client\` (needed by the per-address cap, which is on by
  default), took 5-7 µs per connection in CPU profiles. A fresh process pays more for
  both servers (its code not yet compiled): 124-136 µs user per connection for raw ws's and
  196-222 for ours in a first burst of 5 000, 52-56 and 76-104 in the fourth. The rate ratio
  has moved between 0.65x and 1.05x across runs, on the same code (0.84x-1.08x in eight
  runs of the cell alone on the AMD EPYC of the run at cac34da, 0.72x-0.95x in its three
  full runs; 0.86x and 0.96x in two full runs on the Intel Xeon of the run at 0b2a08c).
  Outside these cells: the server's origin check parsed the \`Origin\` and \`Host\` values
  of every handshake that has an \`Origin\` (browsers'; the benchmark's clients send none),
  0.9 KiB of the 19.5 KiB such a handshake allocated in one sampling profile; it now keeps
  its verdict per pair of values.
- Idle memory: about 1 KiB more V8 heap per connection than raw ws ("heap KiB/conn"; Node's
  V8 has no pointer compression, so every field of an object takes 8 bytes): 3.65-3.70
  against 2.55-2.62 with \`connection-memory-cli.js\` (3 000 connections). The largest cut,
  in 335c70a: the server wrote data frames itself and kept ws's \`WebSocket\` only for the
  closing handshake, pings and pongs, and each connection kept that object, its \`Sender\`,
  their listeners and a pong callback; a \`WebSocketLink\` of its own (one object over ws's
  frame parser, which stays) does that part, and the server answers the upgrade with 101
  itself. The heap per idle connection went from 4.53 to 3.88 KiB with it; to 3.77 with
  smaller cuts in 76226cc (the link's switches in one field, two fields of the connection, a
  shared frozen empty \`url_route.args\`, which Channels keeps in a tuple); to 3.65-3.70 when
  a consumer stopped keeping its two handler reactions (bound functions) while idle: it makes
  them when a handler first returns a promise and drops them once it has slept through the
  end of an event-loop turn. Dropping them at every sleep instead cost the in-memory burst
  with a handler about 7% of its rate (members wake once per group message, and made them
  again each time); at the end of the turn, nothing measurable in alternating runs. Earlier,
  in b0290fe and 82101b4, 4.64 to 4.52 (the consumer keeps the server's port,
  \`kServerPort\`, rather than two bound functions, and the connection's times are whole
  milliseconds, which V8 keeps in the object rather than in number boxes). What is left
  beyond raw ws, from heap snapshots of 2 000 idle echo connections: the consumer (176 B),
  the connection (176), the link (96), the routed scope's copy with \`url_route\` and
  \`kwargs\` (about 260), the mailbox, its two sources and the channel's queue (about 300),
  the application instance (104), the server's input queue (56), the consumer's
  AsyncResource (40), the client address (\`getpeername\`'s object, the scope's tuple and
  string, about 150), less what raw ws keeps and node-channels does not (ws's \`WebSocket\`,
  \`Sender\`, their closures, and a listener table in dictionary mode: about 780). Resident
  memory adds what V8 and the C library's allocator keep around those objects, and that
  depends on what else the process holds. Until 9f707e6 and cac34da node-channels' server
  started with about 10 MB of old generation against raw ws's 4 (core loaded zod, about 3 MB
  of heap, and the benchmark's program loaded the Redis package in every variant). V8 then ran
  no full collection during the burst of 5 000 connections and kept about 1 KiB per connection
  of old-space pages beyond the live objects (4.0-4.7 KiB of pages for 3.4 KiB live in fifteen
  readings, raw ws 2.4-2.7 for 2.5 in ten): the holes of objects that die soon after (each
  socket Node makes gets hidden classes of its own, for one), where raw ws's old generation
  was collected during the burst. Readings then moved by more than 1 KiB per connection from
  run to run (medians 1.17x-1.44x raw ws's in six full runs and twelve runs of the cell alone
  since 335c70a), and raw ws given 7.8 MB of long-lived objects at start read 4.52 and 4.60
  KiB per connection, against 3.45-3.69 without (eleven runs of a server started as the
  benchmark starts it). Since those commits importing core takes 1.3 MB of heap instead of 4.3
  and the program loads Redis only for its variants: node-channels read 3.92-4.02 KiB per
  connection in three such runs (old space 3.28 KiB of pages for a heap of 3.62; raw ws 3.60),
  and medians of 1.10x-1.26x raw ws's in one full run and three runs of the cell alone (single
  readings 3.9-5.1, raw ws's 3.4-3.8); on the Intel Xeon of the run at 0b2a08c, 1.27x and
  1.16x in two full runs (readings 4.5-5.1, raw ws's 3.5-4.1; heap 3.68 against 2.65 in
  both). An application that loads more (zod for its own
  schemas, as the chat example does, or any large module) can read more per connection for the
  same heap. The heap column gives the difference without any of this. Before 93d258b resident
  memory was read with the young generation growing during the burst (see Method): raw ws then
  read 7.2-8.0 KiB per connection and node-channels 9.6-9.7.`

/** The docs/benchmarks.md page for a run. */
export function renderMarkdown(suite: SuiteResult): string {
  const { machine, config, results } = suite
  const checks = checkTargets(results)
  const met = checks.filter((check) => check.met === true).length
  const missed = checks.filter((check) => check.met === false).length
  const unmeasured = checks.filter((check) => check.met === null).length
  const packages = Object.entries(machine.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ')
  return `# Benchmarks

Generated by \`pnpm bench\` on ${suite.startedAt} in ${Math.round(suite.durationMs / 1000)} s${suite.smoke ? ' (SMOKE MODE: tiny and short, not meaningful figures)' : ''}.
Do not edit by hand: the next run rewrites this page, \`docs/benchmarks/chart.svg\` and \`bench/results/latest.json\`.

## Machine

- CPU: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB; ${machine.kernel}
- Node ${machine.node}; Python ${machine.python ?? 'not available'}; Redis ${machine.redis ?? 'not available'}; commit ${machine.gitCommit ?? 'unknown'}
- Packages: ${packages}
- Load average when the run started: ${machine.loadAverageAtStart.join(', ')}
- Servers pinned to CPU ${config.serverCpus ?? '(unpinned)'}, generator to CPU ${config.generatorCpus ?? '(unpinned)'}
- Window ${config.durationMs} ms after ${config.warmupMs} ms warm-up, ${config.repeats} repeat(s) per cell, ${config.generatorProcesses} generator process(es)

## Summary

${table(summaryTable(results))}

![Benchmark chart](benchmarks/chart.svg)

## Targets (issue 8), measured in this run

${met} met, ${missed} missed, ${unmeasured} not measured.

${table(targetTable(checks))}

${generatorSection(results)}

## All figures

${table(detailTable(results))}

${METHOD}

## Where node-channels stays behind, and why

${cpuBehindMissedTargets(results, checks)}

${BEHIND}

## Reproduce

\`\`\`sh
pnpm bench                           # everything (well under 15 minutes on 2 cores)
pnpm bench -- --duration-ms 5000 --repeats 3
pnpm bench -- --servers raw-ws,node-channels --scenarios echo-64B-200x10
BENCH_SMOKE=1 pnpm bench             # tiny and short; what CI runs (bench/src/smoke.test.ts)
# profile a server (or the generator, BENCH_GENERATOR_NODE_FLAGS) and list its hot spots
BENCH_SERVER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" pnpm bench -- --servers node-channels --no-write
node bench/dist/tools/summarize-profile.js /tmp/prof/*.cpuprofile --top 30
# a burst of group sends, per delivery, for relays, the handler form and frame-once + cork
taskset -c 1 node bench/dist/tools/group-send-path-cli.js --members 1000 --rounds 40
# a burst of group sends, per delivery, in the consumers and the layer alone (no sockets)
taskset -c 1 node bench/dist/tools/consumer-path-cli.js --members 1000 --rounds 300 --layers memory,redis
# what one RedisChannelLayer group send to 1 000 members costs the sending process
taskset -c 1 node bench/dist/tools/redis-group-send-cli.js --members 1000 --sends 300
# V8 heap kept per idle connection and bytes allocated per handshake, node-channels and raw ws
node bench/dist/tools/connection-memory-cli.js --connections 2000 [--origin]
\`\`\`

Other settings: \`--warmup-ms\`, \`--generators N\` (split echo and connection clients over N
generator processes), \`BENCH_GENERATOR_CPUS\` / \`BENCH_SERVER_CPUS\` (taskset lists, default
0 and 1), \`BENCH_REDIS_CPUS\` (where the private redis-server runs; any CPU by default),
\`BENCH_PYTHON\` (default /usr/bin/python3), \`--json <file>\`, \`--no-write\`.
`
}
