// Package register links a cash register to the payment engine: it is the terminal a
// ZVT server (package ecr/zvt) serves, and turns the register's verbs (pay, reverse,
// refund, end of day, confirm) into calls on the engine (Engine, met by *flow.Engine).
//
// The register's business rules live here, not in the engine and not in the command:
//   - result codes are chosen from the engine's typed errors (errors.Is on
//     flow.ErrBusy, flow.ErrOffline, flow.ErrAmountTooLarge, ...), never from their text;
//   - a refund names no payment: the engine picks the newest paid payment that has the
//     amount left (Engine.RefundLatest);
//   - a result the register acknowledges (or never acknowledges) names its payment by
//     Result.Reference, the payment id: nothing is remembered between a result and its
//     confirmation, so nothing grows with failed payments.
//
// Start serves a register on TCP or a serial line until its context ends.
package register
