import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * docs/ARCHITECTURE.md is the contract inside the repository: comments, tests and the README cite
 * its sections by name. This fails when a file still points at the design document that lives
 * outside the repository, or cites a section (or links an anchor) that ARCHITECTURE.md lacks.
 */
const ROOT = join(__dirname, '..');
const SKIPPED = new Set(['node_modules', '.git', 'dist', 'coverage', '.passo', 'generated']);
const OUTSIDE = ['DESIGN', 'md'].join('.'); // spelled apart, so this file does not cite it

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.isFile()) yield path;
  }
}

const texts = [...files(ROOT)]
  .filter((path) => path !== __filename) // its own examples are not citations
  .map((path) => ({ path: relative(ROOT, path), text: readFileSync(path) }))
  .filter(({ text }) => !text.includes(0)) // text files only
  .map(({ path, text }) => ({ path, text: text.toString('utf8') }));

const architecture = readFileSync(join(ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');
const headings = [...architecture.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1].trim());
/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');

describe('docs/ARCHITECTURE.md citations', () => {
  it('is cited instead of the design document outside the repository', () => {
    expect(texts.filter(({ text }) => text.includes(OUTSIDE)).map(({ path }) => path)).toEqual([]);
  });

  it('has every section a file cites as docs/ARCHITECTURE.md, "Section"', () => {
    const cited = texts.flatMap(({ path, text }) =>
      [...text.matchAll(/docs\/ARCHITECTURE\.md,\s*(?:[*#/]+\s*)?"([^"]+)"/g)].map((m) => ({ path, section: m[1] })),
    );
    expect(cited.length).toBeGreaterThanOrEqual(10); // the check ran on the citations that exist
    expect(cited.filter(({ section }) => !headings.includes(section))).toEqual([]);
  });

  it('has every anchor a link points at (ARCHITECTURE.md#anchor)', () => {
    const linked = texts.flatMap(({ path, text }) =>
      [...text.matchAll(/ARCHITECTURE\.md#([\w-]+)/g)].map((m) => ({ path, anchor: m[1] })),
    );
    expect(linked.length).toBeGreaterThan(0);
    const anchors = headings.map(anchor);
    expect(linked.filter((link) => !anchors.includes(link.anchor))).toEqual([]);
  });
});
