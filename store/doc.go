// Package store keeps terminald's state in a bbolt database: payments, refunds, an index
// of the unfinished ones, a durable outbox of side effects still to do, and monotonic
// counters (receipt and trace numbers).
//
// Every state change is committed (fsync'd) before the side effect that follows it, so a
// power cut loses nothing: on start the flow reads OpenPayments and Jobs and carries on.
//
// # Cost flat in history
//
// Nothing a terminal does at start or per payment grows with the number of payments it
// has taken:
//
//   - Order. Payments are keyed by a sequence number the store assigns on first write
//     (8 bytes, big-endian), never by the display id's text (TERMINAL-%06d-random stops
//     sorting at the millionth payment). Payments, List and every "newest first" reader
//     follow it; Payment.Seq carries it (filled on read, not stored). Receipt numbers
//     (1..9999) and trace numbers (six BCD digits, 1..999999) roll over to 1: nothing sorts by them; the
//     receipt index answers with the newest receipt holding a number.
//   - Start. Open reads the schema version; recovery reads the open index (sequence keys
//     of the unfinished and watched payments) and the records it names, the open refunds
//     and the outbox. Pruning never runs before the terminal is ready.
//   - Listing. List(Query) returns a page, newest first, and a Cursor for the next; a
//     state filter reads the state index (state+seq), a day (From/To) the hour index (the
//     sequence range created in each hour), a receipt the receipt index. Memory is one
//     page.
//   - Pruning. A Pruner runs after READY in batches of DefaultPruneBatch payments per
//     transaction with a pause between them, keeps a cursor in the database (a crash
//     resumes), and keeps what end of day or a refund still needs: open or watched
//     payments, refunds not final or recently updated, outbox jobs (unprinted receipts),
//     and anything settled or refunded after the last end of day (meta "eod"; with no end
//     of day yet, every paid payment stays).
//   - Bytes. A record is a compact binary form built by reflection from Payment (see
//     codec.go: fields numbered by their JSON name, fields added later stored under their
//     name, zero values left out); indexes hold keys only; buckets whose keys are appended
//     are filled to 90–95 % instead of bbolt's 50 %.
//
// # File size
//
// bbolt never shrinks its file: pages freed by pruning go to the freelist and are reused
// by later writes before the file grows. With a steady retention the file therefore stops
// growing at about (payments kept) × ~500 B plus the largest prune backlog deleted at
// once; it does not track the number of payments ever taken. The freelist (the ids of
// the free pages) is written with every commit: after a prune backlog of 900k payments
// it holds ~110k pages (~0.9 MB per commit, ~10 MiB of heap) until later writes reuse
// them. Compact (terminald compact, with the daemon stopped) copies the live data into a
// new file and renames it over the old one, giving the freed pages back to the disk and
// emptying the freelist: run it after a large backlog was pruned.
//
// # Commits per payment
//
// Every commit is an fsync (two on bbolt: data, then meta). The engine writes one when
// something a crash must not lose changed: a state, an intent before its side effect, a
// provider's data before the call that depends on it, a job. A provider answer that
// changes nothing is not written (before: every "pending" was, 4 a second while a
// cancelled AcountPay payment was watched); the provider's progress text (Detail) and a
// step's answers ride with the next commit. Measured per paid payment through the
// simulator and the providers' sandboxes (TestCommitsPerPayment in cmd/terminald; the
// customer pays at once; each further check of a pending payment adds nothing):
//
//	provider   before  after  the commits that remain
//	AcountPay  7       6      new and creating in one (draws sequence and trace; the create
//	                          intent: AcountPay asks nothing first), create_sent (provider:
//	                          before its POST), awaiting (QR, id, expiry), paid + receipt
//	                          job, job started (before printing), job done
//	Accrue     13      11     new, creating, the provider's six write-aheads (intent key,
//	                          intent id, authorize asked, payment id, capture asked, capture
//	                          done: each before or after a call that moves money), paid +
//	                          job, job started, job done; the scan step's two answers no
//	                          longer commit on their own
//	crypto     10–11   8      new, creating, payment id and expiry (provider, after the
//	                          create), address and QR (provider), awaiting, paid + job, job
//	                          started, job done; the quote answer and each "n/2
//	                          confirmations" no longer commit
//
// A watched payment (cancelled here, the provider may still be paid) is asked on a
// schedule (30 s doubling to 5 min) and commits only when its state changes: over a
// 30-minute AcountPay life (a minute at the counter, then watched until the provider
// expires it) 25 provider calls and 8 commits (TestWatchedPaymentCadence in flow), where
// it was about 7,000 of each. "new" and "creating" stay apart for a provider with input
// steps (Accrue's scan, crypto's quote: they happen with a payment id the register already
// knows); a provider without steps gets its payment committed as creating at once
// (flow's newPayment). The job's two commits keep "print once, or say it was printed
// again". The awaiting commit (the create's answer: QR, id, expiry) is written right
// after the QR is drawn, not before: between OK and the QR there is one commit, the
// create intent. A crash between the two leaves the payment creating with its
// reference, and recovery asks the provider by it, as after a crash during the create.
//
// # Schema and migration
//
// Open migrates older databases to SchemaVersion. From schema 2 to 3 (sequence keys,
// compact records) Open moves only the payments in flight (the old open index) and builds
// the refunds_of index, in one transaction: READY does not wait for the history. The
// payments in flight and every later one are numbered from 2^40 up; the history stays in
// the old bucket and is moved after READY by MigrateHistory (the Pruner runs it before
// its first prune), 128 payments per transaction with a pause as long as each batch,
// first listed by creation time, then moved newest first and numbered down from 2^40, with
// a cursor in the database so that a crash or a stop resumes without moving anything
// twice. While it runs: Payment (refund lookups, reprint), ByReceipt and a receipt
// listing read a payment not moved yet from the old bucket; Settled (end of day, recovery)
// reads the old settled entries too, so it is complete; a write to a payment not moved
// yet (a refund) goes to its old record, which moves later; List gives the newest
// payments as far as moved and then ErrMigrating (wrapped, with how many moved so far)
// instead of a short last page; Payments walks what has moved; pruning waits. A payment
// that was in flight at the upgrade lists above the whole history even when history was
// created after it (it was numbered first). A migration begun before READY by an earlier
// terminald and cut short is finished by Open as that version did. Schema 2 JSON records
// are still read.
//
// # Measured
//
// 2-core amd64 (go test -bench; expect about 10× the times on a Cortex-A53), with
// databases generated by the benchmarks (finished AcountPay-like payments, 10 in
// flight). "Before" is schema 2 (payments keyed by id, JSON records, prune at start in one
// transaction):
//
//	open + recovery (BenchmarkOpenRecover)
//	  before  16 ms (100k), 202 ms and RSS 39 MB (1M)
//	  after   2 ms (1k), 2–5 ms (100k, 1M); heap +40 KiB, RSS +0.6 MiB against a new database
//	first page of 20 (BenchmarkFirstPage)
//	  before  0.7 ms (100k); terminald payments at 1M: 47 s, 3 GB
//	  after   0.3 / 0.3 / 0.9 ms; by state or day ≤ 0.9 ms; by receipt 0.04 ms
//	file per finished payment (BenchmarkBytesPerPayment)
//	  before  1,606 B
//	  after   1,049 / 523 / 471 B (1k / 100k / 1M)
//	prune 90 % of the history (BenchmarkPrune)
//	  before  in one transaction before READY: 7.2 s, 217 MB allocated (100k); 24 s, 3 GB RSS (1M)
//	  after   in the background after READY, 64 per transaction, pausing as long as it works:
//	          5,000 / 3,400 / 3,400 payments/s; peak heap 2.7 / 2.5 / 5.0 MiB; longest batch
//	          35 / 200 / 455 ms on this shared machine (the 1M figure is the freelist write)
//	migration from schema 2 (BenchmarkMigrateV2, 10 in flight)
//	  before  all of it in Open, before READY: 5,500 / 4,800 payments/s (1k / 100k): ~20 s at 100k
//	  after   Open 1–4 ms (1k and 100k); the history after READY, pauses included:
//	          7,000–11,000 payments/s with 256 per transaction; 128 (used: half the write
//	          lock) moves about 0.7× as many per second
//
// Run them with
//
//	go test ./store -run '^$' -bench . -store.history 1000,100000,1000000
//
// (1M builds a 470 MB database in the temporary directory; the default is 1k and 100k).
package store
