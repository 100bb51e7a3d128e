/**
 * The filter box's inline error: the server's message (mj's FilterSyntaxError) and a caret
 * under the character at the error position. Pure.
 */
export interface IFilterErrorView {
  /** the message without the echoed expression and caret lines mj appends */
  message: string;
  /** 0-based position in the filter text, clamped to it; null when unknown */
  position: number | null;
  /** the filter text split around the position (to highlight the character) */
  before: string;
  at: string;
  after: string;
  /** spaces and a caret, to show under the filter text in a monospace font */
  caret: string;
}

const AT_POSITION = /at position (\d+)/;

export function describeFilterError(
  filter: string,
  message: string,
  position: number | null | undefined
): IFilterErrorView {
  const lines = message.replace(/\s+$/, '').split('\n');
  // mj's messages end with "\n  <expr>\n  <spaces>^": the caret is drawn here instead
  if (lines.length >= 3 && /^\s*\^\s*$/.test(lines[lines.length - 1])) {
    lines.splice(lines.length - 2, 2);
  }
  let pos: number | null = typeof position === 'number' ? position : null;
  if (pos === null) {
    const match = AT_POSITION.exec(message);
    pos = match ? Number(match[1]) : null;
  }
  if (pos !== null) {
    pos = Math.max(0, Math.min(filter.length, Math.floor(pos)));
  }
  const text = lines.join('\n').trim() || 'The filter is not valid.';
  if (pos === null) {
    return {
      message: text,
      position: null,
      before: filter,
      at: '',
      after: '',
      caret: ''
    };
  }
  return {
    message: text,
    position: pos,
    before: filter.slice(0, pos),
    // at the end of the text the caret points just past it
    at: filter.slice(pos, pos + 1),
    after: filter.slice(pos + 1),
    caret: ' '.repeat(pos) + '^'
  };
}

/**
 * The panel has no order box (the sort comes from a column header), so an order error
 * (e.g. the sorted column does not exist in the store just picked) is one readable line:
 * what could not be sorted, why (mj's message without its position prefix and echo), and
 * that the default order is shown instead.
 */
export function describeOrderError(column: string, message: string): string {
  const { message: text } = describeFilterError('', message, null);
  let reason = text.replace(/^bad order_by( at position \d+)?:\s*/, '');
  if (!/[.!?]$/.test(reason)) {
    reason += '.';
  }
  return `Cannot sort by ${column}: ${reason} Showing the newest runs first.`;
}
