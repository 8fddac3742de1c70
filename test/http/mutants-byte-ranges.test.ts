// The download's range and conditional-request rules, called directly, at every edge StrykerJS can move
// (docs/MUTATION.md): the HTTP tests in test/downloads.test.ts reach these functions only with well-formed headers.
import * as assert from 'uvu/assert';
import { decideRange, ifRangeHolds, noneMatch, notModified } from '../../src/http/byte-ranges.js';
import { suite } from '../support/suite.js';

const ranges = suite('byte ranges');

ranges('when there is no Range header, or an empty one, then the whole file is sent', () => {
  assert.equal(decideRange(undefined, 10), { kind: 'full' });
  assert.equal(decideRange('', 10), { kind: 'full' });
});

ranges('when the unit is bytes in any case and with any spacing, then the range applies', () => {
  assert.equal(decideRange('bytes=2-5', 10), { kind: 'partial', start: 2, end: 5 });
  assert.equal(decideRange('BYTES=2-5', 10), { kind: 'partial', start: 2, end: 5 });
  assert.equal(decideRange(' \t bytes  =  2-5 ', 10), { kind: 'partial', start: 2, end: 5 });
  assert.equal(decideRange('bytes=12-345', 1000), { kind: 'partial', start: 12, end: 345 });
});

ranges('when the unit is not bytes, or something comes before it, then the header is ignored', () => {
  assert.equal(decideRange('items=2-5', 10), { kind: 'full' });
  assert.equal(decideRange('xbytes=2-5', 10), { kind: 'full' });
  assert.equal(decideRange('bytes 2-5', 10), { kind: 'full' });
  assert.equal(decideRange('bytes=', 10), { kind: 'full' });
});

ranges('when several ranges are asked for, then the whole file is sent; empty list items do not count', () => {
  assert.equal(decideRange('bytes=0-1,5-6', 10), { kind: 'full' });
  assert.equal(decideRange('bytes=0-1, 5-6', 10), { kind: 'full' });
  assert.equal(decideRange('bytes=0-1,', 10), { kind: 'partial', start: 0, end: 1 });
  assert.equal(decideRange('bytes=, 3-4 ,,', 10), { kind: 'partial', start: 3, end: 4 });
  assert.equal(decideRange('bytes=,', 10), { kind: 'full' });
});

ranges('when the range is not digits-dash-digits, then the header is ignored', () => {
  assert.equal(decideRange('bytes=a2-5', 10), { kind: 'full' });
  assert.equal(decideRange('bytes=2-5a', 10), { kind: 'full' });
  assert.equal(decideRange('bytes=2', 10), { kind: 'full' });
  assert.equal(decideRange('bytes=2--5', 10), { kind: 'full' });
  assert.equal(decideRange('bytes=-', 10), { kind: 'full' });
});

ranges('when a suffix is asked for, then the last bytes are sent, the whole file if it is shorter', () => {
  assert.equal(decideRange('bytes=-5', 10), { kind: 'partial', start: 5, end: 9 });
  assert.equal(decideRange('bytes=-10', 10), { kind: 'partial', start: 0, end: 9 });
  assert.equal(decideRange('bytes=-25', 10), { kind: 'partial', start: 0, end: 9 });
  assert.equal(decideRange('bytes=-1', 10), { kind: 'partial', start: 9, end: 9 });
});

ranges('when a suffix of zero bytes is asked for, then the range cannot be satisfied', () => {
  assert.equal(decideRange('bytes=-0', 10), { kind: 'unsatisfiable' });
  assert.equal(decideRange('bytes=-000', 10), { kind: 'unsatisfiable' });
});

ranges('when a range has no end, then it runs to the last byte', () => {
  assert.equal(decideRange('bytes=2-', 10), { kind: 'partial', start: 2, end: 9 });
  assert.equal(decideRange('bytes=0-', 10), { kind: 'partial', start: 0, end: 9 });
  assert.equal(decideRange('bytes=9-', 10), { kind: 'partial', start: 9, end: 9 });
});

ranges('when a range ends past the file, then it is cut at the last byte', () => {
  assert.equal(decideRange('bytes=2-100', 10), { kind: 'partial', start: 2, end: 9 });
  assert.equal(decideRange('bytes=2-9', 10), { kind: 'partial', start: 2, end: 9 });
  assert.equal(decideRange('bytes=2-10', 10), { kind: 'partial', start: 2, end: 9 });
});

ranges('when a range ends before it starts, then the header is ignored; a one-byte range is served', () => {
  assert.equal(decideRange('bytes=5-2', 10), { kind: 'full' });
  assert.equal(decideRange('bytes=5-4', 10), { kind: 'full' });
  assert.equal(decideRange('bytes=5-5', 10), { kind: 'partial', start: 5, end: 5 });
  assert.equal(decideRange('bytes=0-0', 10), { kind: 'partial', start: 0, end: 0 });
});

ranges('when a range starts at or past the end of the file, then it cannot be satisfied', () => {
  assert.equal(decideRange('bytes=10-', 10), { kind: 'unsatisfiable' });
  assert.equal(decideRange('bytes=12-', 10), { kind: 'unsatisfiable' });
  assert.equal(decideRange('bytes=10-20', 10), { kind: 'unsatisfiable' });
  assert.equal(decideRange('bytes=0-', 0), { kind: 'unsatisfiable' });
});

ranges.run();

const tags = suite('If-None-Match');

tags('when there is no If-None-Match, then it decides nothing', () => {
  assert.is(noneMatch(undefined, '"a"'), undefined);
  assert.is(noneMatch('', '"a"'), undefined);
});

tags('when the client holds this tag, strong or weak, alone or in a list, then nothing changed', () => {
  assert.is(noneMatch('"a"', '"a"'), false);
  assert.is(noneMatch('W/"a"', '"a"'), false);
  assert.is(noneMatch('"b", W/"a"', '"a"'), false);
  assert.is(noneMatch('"b" ,  "a"  ', '"a"'), false);
});

tags('when the client holds any copy (*), then nothing changed', () => {
  assert.is(noneMatch('*', '"a"'), false);
  assert.is(noneMatch('  *  ', '"a"'), false);
});

tags('when the client holds other tags only, then the file changed', () => {
  assert.is(noneMatch('"b"', '"a"'), true);
  assert.is(noneMatch('"b", W/"c"', '"a"'), true);
  assert.is(noneMatch('"*"', '"a"'), true);
  // Only a leading W/ marks a weak tag: one inside a tag is part of it.
  assert.is(noneMatch('"aW/"', '"a"'), true);
  assert.is(noneMatch('"a"W/', '"a"'), true);
});

tags.run();

const since = suite('If-Modified-Since and If-Range');
// 12:00:00.750 on a day: HTTP dates carry whole seconds, so 12:00:00 is this copy.
const lastModified = new Date(Date.UTC(2026, 0, 2, 12, 0, 0, 750));
const sameSecond = new Date(Date.UTC(2026, 0, 2, 12, 0, 0)).toUTCString();
const secondBefore = new Date(Date.UTC(2026, 0, 2, 11, 59, 59)).toUTCString();
const secondAfter = new Date(Date.UTC(2026, 0, 2, 12, 0, 1)).toUTCString();

since('when the client gives no condition, then the file is sent', () => {
  assert.is(notModified({}, '"a"', lastModified), false);
  assert.is(notModified({ ifModifiedSince: '' }, '"a"', lastModified), false);
});

since('when the client holds the tag, then 304; when it holds another, then the file, whatever the date says', () => {
  assert.is(notModified({ ifNoneMatch: '"a"' }, '"a"', lastModified), true);
  assert.is(notModified({ ifNoneMatch: '"b"', ifModifiedSince: secondAfter }, '"a"', lastModified), false);
  assert.is(notModified({ ifNoneMatch: '"a"', ifModifiedSince: secondBefore }, '"a"', lastModified), true);
});

since('when the client copy is from the same second or later, then 304; from the second before, then the file', () => {
  assert.is(notModified({ ifModifiedSince: sameSecond }, '"a"', lastModified), true);
  assert.is(notModified({ ifModifiedSince: secondAfter }, '"a"', lastModified), true);
  assert.is(notModified({ ifModifiedSince: secondBefore }, '"a"', lastModified), false);
});

since('when If-Modified-Since is not a date, then the file is sent', () => {
  assert.is(notModified({ ifModifiedSince: 'yesterday-ish' }, '"a"', lastModified), false);
});

since('when there is no If-Range, then the range holds', () => {
  assert.is(ifRangeHolds(undefined, '"a"', lastModified), true);
  assert.is(ifRangeHolds('', '"a"', lastModified), true);
});

since('when If-Range names this tag exactly, then the range holds; another or a weak one, then not', () => {
  assert.is(ifRangeHolds('"a"', '"a"', lastModified), true);
  assert.is(ifRangeHolds('  "a" ', '"a"', lastModified), true);
  assert.is(ifRangeHolds('"b"', '"a"', lastModified), false);
  assert.is(ifRangeHolds('W/"a"', '"a"', lastModified), false);
  assert.is(ifRangeHolds('W/"a"', 'W/"a"', lastModified), false);
  // V8's Date.parse reads a date inside a weak tag (and W/"1" as the year 2001): the tag must be refused before that.
  assert.is(ifRangeHolds(`W/"${sameSecond}"`, '"a"', lastModified), false);
  assert.is(ifRangeHolds(`W/${sameSecond}`, '"a"', lastModified), false);
});

since('when If-Range is the exact date of this copy, then the range holds; any other date or none, then not', () => {
  assert.is(ifRangeHolds(sameSecond, '"a"', lastModified), true);
  assert.is(ifRangeHolds(` ${sameSecond} `, '"a"', lastModified), true);
  assert.is(ifRangeHolds(secondAfter, '"a"', lastModified), false);
  assert.is(ifRangeHolds(secondBefore, '"a"', lastModified), false);
  assert.is(ifRangeHolds('not a date', '"a"', lastModified), false);
});

since.run();
