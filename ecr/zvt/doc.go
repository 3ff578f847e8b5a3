// Package zvt speaks the ZVT cash-register protocol (PA00P015/PA00P016) as the payment
// terminal (PT): the cash register (ECR) is master and terminald answers it.
//
// Transports: serial RS-232 (DLE STX framing with DLE stuffing, CRC-16/KERMIT low byte
// first, ACK/NAK, T1 200 ms inter-byte, T2 5 s ACK wait with at most 2 resends; see
// SerialConn) and TCP (raw APDUs, port 20007, one register connection at a time; see
// TCPConn and Server.Serve).
//
// Commands the PT handles (Server):
//
//	06 00  Registration  <pwd><config>[<currency>][03 svc][06 TLV] → 80 00 00, 06 0F 19 29 [49]
//	06 01  Authorization [04 amount][49 currency]                   → 80 00 00, 04 FF…, 04 0F, 06 D1…, 06 0F 00 | 06 1E rc
//	06 30  Reversal      <pwd> 87 <receipt>                         → as Authorization, 04 0F carries 37
//	06 31  Refund        <pwd> 04 <amount> [49]                     → as Authorization
//	06 50  End-of-day    <pwd>                                      → 80 00 00, 04 FF…, 04 0F 27 04 0B 0C 0D 60, 06 D1…, 06 0F 00
//	06 B0  Abort         (also while a transaction waits)           → 80 00 00 (aborted) or 84 83 00 (too late: customer paid)
//	05 01  Status enquiry [<pwd>]                                   → 80 00 00, 06 0F 19 <00 ready | DF not ready> 29
//	06 02  Log-Off                                                  → 80 00 00 (config byte back to 86)
//	other                                                           → 84 83 00
//
// Config byte bits honoured: 08 intermediate status 04 FF (sent at once and at least every
// 30 s, restarting the ECR's T4); 80 or 02 receipt lines as 06 D1. BMP 49 is echoed only
// where the ECR sent a currency. A result counts (Terminal.Confirm) only after the ECR
// acknowledged 04 0F and every 06 D1; otherwise Terminal.Unconfirmed is called so the
// payment is reversed or flagged. 84 9C ("please wait") makes the PT resend after 2 s.
//
// Result codes sent: 00 OK; 64 card not readable; 6C aborted (ECR abort, timeout,
// expired, cancelled); 6F wrong currency; 77 end-of-day not possible; 83 function not
// possible (also wrong password, missing amount, unsupported command); 9A protocol error
// (malformed data, unknown BMP); 9C please wait; A0 receiver not ready; B4 already
// reversed; B5 reversal not possible; C3 maximum amount exceeded; C8 amount too small;
// FF system error.
//
// Client is the ECR side, for technicians and tests (see package ecrcli).
package zvt
