// Element builders: attributes are set with setAttribute and children appended as nodes or
// text, so nothing is ever parsed as HTML (and no inline style can slip in under the CSP).

const SVG_NS = 'http://www.w3.org/2000/svg';
const EVENT_PROP = /^on[A-Z]/;

export function h(tag, props = {}, ...children) {
  return build(document.createElement(tag), props, children);
}

export function svg(tag, props = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

function build(element, props, children) {
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (EVENT_PROP.test(name)) element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'object' ? child : String(child));
  }
  return element;
}

// Replaces a card or control in place; a focused control inside it keeps the focus, so a
// keyboard user who toggles a chart stays on the toggle.
export function replaceKeepingFocus(oldElement, newElement) {
  const focusedId = oldElement.contains(document.activeElement)
    ? document.activeElement.dataset.testid
    : undefined;
  oldElement.replaceWith(newElement);
  if (focusedId) newElement.querySelector(`[data-testid="${focusedId}"]`)?.focus();
}
