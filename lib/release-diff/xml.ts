/**
 * The few XML a Propel schema file needs: elements and their attributes (text, comments,
 * processing instructions, CDATA and DOCTYPE are skipped). Malformed input throws, naming the
 * offset. Stopgap until the package takes a maintained parser (fast-xml-parser) as a dependency:
 * `parseElements` is the only seam to swap.
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') return String.fromCodePoint(ref[1].toLowerCase() === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10));
    return ENTITIES[ref] ?? whole;
  });
}

const SKIP: [string, string][] = [
  ['<!--', '-->'],
  ['<![CDATA[', ']]>'],
  ['<?', '?>'],
  ['<!', '>'],
];
const TAG = /^<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/;
const ATTRIBUTE = /([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** The root element of a document. */
export function parseElements(xml: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [] };
  const stack: XmlElement[] = [root];
  let i = 0;
  outer: while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) break;
    for (const [open, close] of SKIP) {
      if (xml.startsWith(open, lt)) {
        const end = xml.indexOf(close, lt + open.length);
        if (end < 0) throw new Error(`unterminated ${open} at offset ${lt}`);
        i = end + close.length;
        continue outer;
      }
    }
    const m = TAG.exec(xml.slice(lt, lt + 64 * 1024));
    if (!m) throw new Error(`malformed tag at offset ${lt}: ${JSON.stringify(xml.slice(lt, lt + 40))}`);
    const [whole, closing, name, attrText, selfClosing] = m;
    i = lt + whole.length;
    if (closing) {
      const open = stack.pop();
      if (!open || open === root || open.name !== name) throw new Error(`</${name}> at offset ${lt} closes ${open && open !== root ? `<${open.name}>` : 'nothing'}`);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const a of attrText.matchAll(ATTRIBUTE)) attributes[a[1]] = decode(a[2] ?? a[3]);
    const element: XmlElement = { name, attributes, children: [] };
    stack[stack.length - 1].children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (stack.length > 1) throw new Error(`<${stack[stack.length - 1].name}> is not closed`);
  const [top] = root.children;
  if (!top || root.children.length > 1) throw new Error(`expected one root element, found ${root.children.length}`);
  return top;
}
