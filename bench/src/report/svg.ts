/** Attribute values of an SVG element (numbers are rounded to two decimals). */
export type Attributes = Record<string, string | number>

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
}

function attributes(attrs: Attributes): string {
  return Object.entries(attrs)
    .map(
      ([name, value]) =>
        ` ${name}="${typeof value === 'number' ? Number(value.toFixed(2)) : escapeXml(value)}"`,
    )
    .join('')
}

/** One element: self-closing without children, otherwise with its children (already serialised). */
export function element(name: string, attrs: Attributes = {}, children: string[] = []): string {
  return children.length === 0
    ? `<${name}${attributes(attrs)}/>`
    : `<${name}${attributes(attrs)}>${children.join('')}</${name}>`
}

/** A text element (its content is escaped). */
export function text(content: string, attrs: Attributes): string {
  return `<text${attributes(attrs)}>${escapeXml(content)}</text>`
}

/** A complete standalone SVG document of `width` x `height`. */
export function svgDocument(width: number, height: number, children: string[]): string {
  return `${element('svg', { xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${width} ${height}`, 'font-family': 'Helvetica, Arial, sans-serif', 'font-size': 12 }, children)}\n`
}
