// Package escposdoc reads the Epson ESC/POS printer language back: Decode turns a
// command stream (as package escpos writes it) into a Document of styled text lines,
// QR codes, images, barcodes and cuts; Document.Text shows it as text, RenderPNG draws
// it, and DecodeQR (with gozxing) reads a QR code drawn as a raster image.
//
// It is for tests, the simulator and previews: the production daemon does not link it
// (cmd/terminald's deps_test.go holds that), so a decoder bug cannot touch a terminal.
// Decode is fuzzed (FuzzDecode, seeds under testdata/fuzz).
package escposdoc
