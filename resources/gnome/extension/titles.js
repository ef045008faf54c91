// Title rules: which of driftcheck's title rules match a window's title, decided inside
// GNOME Shell so that no title ever crosses the session bus (docs: issue 14, "minimal
// disclosure"). driftcheck sends `Matcher.title_rules()` (widget/core/rules.py) and reads the
// answer back as `Foreground.title_hits`.
//
// A plain script: no import, no export, no GJS `imports` object, no GNOME API. The build
// wraps it for GNOME 43/44 and for the ES modules of GNOME 45+ by concatenation; tests run it
// in Node and GJS (tests/gnome/test_titles_js.py, with tests/data/title_cases.json). Only the
// two functions below are its interface; `driftcheckTitleEngine` is private and built on
// first use, so the order in which the build concatenates files does not matter.
//
// The Python reference, reproduced exactly rather than approximated:
// - the title is first clipped as `clip_title` does it, counting code points (not the UTF-16
//   units JavaScript strings count): more than 1,024 of them -> the first 512, "\n", the last 512;
// - "s:" + needle: `needle in clipped.lower()`; JavaScript's toLowerCase and Python's str.lower
//   both apply the full Unicode lower-case mapping (İ -> "i̇", the final-sigma rule), so
//   they agree wherever their Unicode tables agree;
// - "g:" + glob: `re.compile(fnmatch.translate(glob), re.IGNORECASE).match(clipped)`. A
//   JavaScript RegExp with the flags "iu" would not do: it compares by Unicode simple case
//   folding, Python's `re` by simple lower case plus a table of extra pairs, and they differ
//   (a pattern "i" matches "ı" and "İ" in Python and not in JavaScript, so a class "[!a-z]"
//   would match "ı" in JavaScript only). So the glob is read as fnmatch translates it and as
//   `re` parses and compiles that (re._parser, re._compiler._optimize_charset), and matched
//   one code point at a time: a literal that has case matches x when lower(x) is its lower
//   case or one of `re`'s extra cases (EXTRA_CASES below: ı/i, ſ/s, ς/σ, ...); a class that has
//   case looks up lower(x) in the lower cases of its members, and beyond the BMP also
//   upper(lower(x)) in a range. This keeps CPython's own quirks too: in "[𐐀x]" the
//   upper-case Deseret letter beyond the BMP matches nothing, not even itself, in Python, so
//   here neither. Each `*` takes the shortest run that lets the next fixed part match and never
//   gives it back, as fnmatch's atomic groups do: linear in the title for each fixed part.
//
// What can still differ, and which way (tests/gnome/test_titles_js.py checks each):
// - Unicode versions. lower() and upper() come from the JavaScript engine's tables, the
//   reference's from Python's unicodedata (Python 3.11: Unicode 14.0; GNOME 43's GJS agrees
//   on every code point, Node 20 knows the case of 110 more). So that this side never matches
//   where Python does not, whichever is newer: a title holding a letter whose case changed
//   after Unicode 14.0 (UNSETTLED) matches no rule, a rule holding one matches nothing, and a
//   plain rule with "σ" or "ς" does not match a title whose "Σ" stands next to a character
//   outside SETTLED_CONTEXT (the final-sigma rule reads its neighbours' properties). Those
//   match in Python and not here. The tests fail when an engine knows the case of a letter
//   not listed, so the list follows the engines; a JavaScript engine newer than the list (a
//   Unicode after 17.0) may still match such a letter case-insensitively where Python does
//   not, until the tests run on it.
// - EXTRA_CASES is CPython 3.11's `re._compiler._EXTRA_CASES`; the tests compare it with the
//   running Python's.
// - Malformed rules (not a string, another prefix, empty, or beyond the limits every rule
//   driftcheck sends already keeps: MAX_PATTERN_LENGTH code points, MAX_WILDCARDS wildcards)
//   never match, so a damaged or hostile rule list cannot make every window count nor make
//   GNOME Shell work long on one title. They keep their place: hits are indexes in `rules`.

/**
 * A matcher for `rules`, an array of "s:" + lowercased needle or "g:" + glob, as
 * widget.core.rules.Matcher.title_rules() gives them. Opaque: hand it to driftcheckTitleHits.
 */
function driftcheckTitleMatcher(rules) {
  return driftcheckTitleEngine().compile(rules);
}

/**
 * The ascending indexes in the matcher's rules of the rules that match `title` (an empty or
 * missing title matches none).
 */
function driftcheckTitleHits(matcher, title) {
  return driftcheckTitleEngine().hits(matcher, title);
}

function driftcheckTitleEngine() {
  if (driftcheckTitleEngine.built) return driftcheckTitleEngine.built;

  const MAX_TITLE_CHARACTERS = 1024; // widget.core.rules.MAX_TITLE_CHARACTERS
  const MAX_PATTERN_LENGTH = 200; // widget.core.rules.MAX_PATTERN_LENGTH
  const MAX_WILDCARDS = 8; // widget.core.rules.MAX_WILDCARDS
  // A needle is a pattern in lower case: "İ" lowers to two code points, so twice as long.
  const MAX_NEEDLE_LENGTH = 2 * MAX_PATTERN_LENGTH;
  const BMP = 0x10000;
  const STAR = 42, QUESTION = 63, OPEN = 91, CLOSE = 93, BANG = 33, DASH = 45, BACKSLASH = 92;
  const CARET = 94, NEWLINE = 10;
  // CPython 3.11 re._compiler._EXTRA_CASES: lower-case letters `re` takes as equal besides
  // those with the same lower case.
  const EXTRA_CASES = new Map([
    [105, [305]], [115, [383]], [181, [956]], [305, [105]], [383, [115]], [837, [953, 8126]],
    [912, [8147]], [944, [8163]], [946, [976]], [949, [1013]], [952, [977]],
    [953, [837, 8126]], [954, [1008]], [956, [181]], [960, [982]], [961, [1009]],
    [962, [963]], [963, [962]], [966, [981]], [976, [946]], [977, [952]], [981, [966]],
    [982, [960]], [1008, [954]], [1009, [961]], [1013, [949]], [1074, [7296]],
    [1076, [7297]], [1086, [7298]], [1089, [7299]], [1090, [7300, 7301]], [1098, [7302]],
    [1123, [7303]], [7296, [1074]], [7297, [1076]], [7298, [1086]], [7299, [1089]],
    [7300, [1090, 7301]], [7301, [1090, 7300]], [7302, [1098]], [7303, [1123]],
    [7304, [42571]], [7777, [7835]], [7835, [7777]], [8126, [837, 953]], [8147, [912]],
    [8163, [944]], [42571, [7304]], [64261, [64262]], [64262, [64261]],
  ]);

  // Letters whose case one Unicode version knows and another not: what Unicode 15.0 to 17.0
  // added to CPython 3.11's Unicode 14.0 (a new capital for "ɤ" and "ƛ", new Cyrillic, Garay,
  // Beria Erfe...). Python and this engine may be on either side, so a title holding one
  // matches no rule, and a rule holding one (or a range spanning one) matches nothing.
  const UNSETTLED = [
    [0x019b, 0x019b], [0x0264, 0x0264], [0x1c89, 0x1c8a], [0xa7cb, 0xa7cf], [0xa7d2, 0xa7d5],
    [0xa7da, 0xa7dc], [0x10d50, 0x10d65], [0x10d70, 0x10d85], [0x16ea0, 0x16eb8],
    [0x16ebb, 0x16ed3],
  ];
  // Where the final-sigma rule reads its context ("Σ" lowers to "ς" after a cased letter and
  // not before one, skipping case-ignorable characters): blocks whose characters and their
  // properties have not changed for many Unicode versions (Latin to Cyrillic, Greek Extended,
  // General Punctuation). Elsewhere a newly assigned letter or mark may read differently.
  const SETTLED_CONTEXT = [[0x0000, 0x052f], [0x1f00, 0x1fff], [0x2000, 0x206f]];
  const CAPITAL_SIGMA = 0x03a3, SIGMAS = ["σ", "ς"];
  const CASE_IGNORABLE = /\p{Case_Ignorable}/u;

  function within(ranges, low, high = low) {
    return ranges.some(([from, to]) => low <= to && from <= high);
  }

  const bmpLower = new Int32Array(BMP).fill(-1);
  const bmpUpper = new Int32Array(BMP).fill(-1);

  // Python's _PyUnicode_ToLowercase / _ToUppercase, which `re` uses: the first code point of
  // the full mapping ("İ" -> "i", "ß" -> "S").
  function lowerOf(cp) {
    if (cp < 128) return cp >= 65 && cp <= 90 ? cp + 32 : cp;
    if (cp < BMP) {
      if (bmpLower[cp] < 0) bmpLower[cp] = String.fromCodePoint(cp).toLowerCase().codePointAt(0);
      return bmpLower[cp];
    }
    return String.fromCodePoint(cp).toLowerCase().codePointAt(0);
  }

  function upperOf(cp) {
    if (cp < 128) return cp >= 97 && cp <= 122 ? cp - 32 : cp;
    if (cp < BMP) {
      if (bmpUpper[cp] < 0) bmpUpper[cp] = String.fromCodePoint(cp).toUpperCase().codePointAt(0);
      return bmpUpper[cp];
    }
    return String.fromCodePoint(cp).toUpperCase().codePointAt(0);
  }

  function isCased(cp) {
    return lowerOf(cp) !== cp || upperOf(cp) !== cp;
  }

  function codePoints(text) {
    return Array.from(text, (char) => char.codePointAt(0));
  }

  // --- fnmatch.translate, keeping what it gives `re` rather than a regular expression ---------

  // fnmatch's class text (between "[" and "]", code points) as the text `re` reads: ranges
  // between chunks, "-" and "\" escaped inside them, set operations escaped.
  function classText(pat, start, end) {
    let stuff;
    if (!pat.slice(start, end).includes(DASH)) {
      stuff = escaped(pat.slice(start, end), [BACKSLASH]);
    } else {
      const chunks = [];
      let i = start;
      let k = pat[start] === BANG ? start + 2 : start + 1;
      for (;;) {
        k = k < end ? pat.indexOf(DASH, k) : -1;
        if (k < 0 || k >= end) break;
        chunks.push(pat.slice(i, k));
        i = k + 1;
        k += 3;
      }
      const chunk = pat.slice(i, end);
      if (chunk.length > 0) chunks.push(chunk);
      else chunks[chunks.length - 1] = chunks[chunks.length - 1].concat([DASH]);
      for (let c = chunks.length - 1; c > 0; c -= 1) { // empty ranges out
        const before = chunks[c - 1];
        if (before[before.length - 1] > chunks[c][0]) {
          chunks[c - 1] = before.slice(0, -1).concat(chunks[c].slice(1));
          chunks.splice(c, 1);
        }
      }
      stuff = [];
      chunks.forEach((part, c) => {
        if (c > 0) stuff.push(DASH);
        stuff.push(...escaped(part, [BACKSLASH, DASH]));
      });
    }
    return escaped(stuff, [38, 126, 124]); // & ~ |, as re.sub(r'([&~|])', r'\\\1', stuff)
  }

  function escaped(cps, which) {
    const out = [];
    for (const cp of cps) {
      if (which.includes(cp)) out.push(BACKSLASH);
      out.push(cp);
    }
    return out;
  }

  // What re._parser makes of "[" + stuff + "]": {negate, items: [{low, high, literal}...]},
  // repeats taken out as re._parser._uniq does. "a" is a literal and "a-a" a range: `re`
  // treats them alike in the BMP only.
  function parseClass(stuff) {
    const text = stuff.concat([CLOSE]);
    const negate = stuff[0] === CARET;
    let pos = negate ? 1 : 0;
    const next = () => { // [code point, whether it was escaped]
      const cp = text[pos];
      pos += cp === BACKSLASH ? 2 : 1;
      return cp === BACKSLASH ? [text[pos - 1], true] : [cp, false];
    };
    const items = [];
    for (;;) {
      const [low, lowEscaped] = next();
      if (low === CLOSE && !lowEscaped && items.length > 0) break;
      if (text[pos] !== DASH) {
        items.push({ low, high: low, literal: true });
        continue;
      }
      pos += 1;
      const [high, highEscaped] = next();
      if (high === CLOSE && !highEscaped) {
        items.push({ low, high: low, literal: true }, { low: DASH, high: DASH, literal: true });
        break;
      }
      items.push({ low, high, literal: false }); // fnmatch leaves no range backwards
    }
    const seen = new Set();
    return {
      negate,
      items: items.filter(({ low, high, literal }) => {
        const key = `${literal}:${low}:${high}`;
        return !seen.has(key) && seen.add(key);
      }),
    };
  }

  // A class as re._compiler._optimize_charset reads it under IGNORECASE: the lower cases of
  // its BMP members (with their extra cases), and beyond the BMP its literals as written and
  // its ranges (matched by lower(x) or upper(lower(x))).
  function compileClass(negate, items) {
    // A set of BMP code points: a bitmap once a wide range would make a Set large.
    const wide = items.some(({ low, high }) => Math.min(high, BMP - 1) - low > 256);
    const bits = wide ? new Uint8Array(BMP) : null;
    const small = wide ? null : new Set();
    const put = (cp) => (bits ? (bits[cp] = 1) : small.add(cp));
    const has = (cp) => (bits ? cp < BMP && bits[cp] === 1 : small.has(cp));
    const tail = [];
    let hascased = false;
    const add = (cp) => {
      const lower = lowerOf(cp);
      put(lower);
      const extra = EXTRA_CASES.get(lower);
      if (extra) extra.forEach(put);
    };
    for (const { low, high, literal } of items) {
      if (literal) {
        if (low < BMP) {
          add(low);
          if (isCased(low)) hascased = true;
        } else {
          hascased = true;
          tail.push({ literal: true, low, high });
        }
        continue;
      }
      for (let cp = low; cp <= Math.min(high, BMP - 1); cp += 1) add(cp);
      if (high >= BMP) {
        hascased = true;
        tail.push({ literal: false, low, high });
      } else if (!hascased) {
        for (let cp = low; cp <= high && !hascased; cp += 1) hascased = isCased(cp);
      }
    }
    return (x, lowered) => {
      const ch = hascased ? lowered : x;
      let hit = has(ch);
      for (let t = 0; !hit && t < tail.length; t += 1) {
        const { literal, low, high } = tail[t];
        if (literal) {
          hit = ch === low;
        } else {
          hit = (low <= ch && ch <= high) || (low <= upperOf(ch) && upperOf(ch) <= high);
        }
      }
      return hit !== negate;
    };
  }

  // A literal character under IGNORECASE (re._compiler._compile): one without case matches
  // itself only; one with case every x whose lower case is its own or one of its extra cases.
  function literalTest(cp, negate) {
    if (!isCased(cp)) return (x) => (x === cp) !== negate;
    const lower = lowerOf(cp);
    const extra = EXTRA_CASES.get(lower) || [];
    return (x, lowered) => (lowered === lower || extra.includes(lowered)) !== negate;
  }

  const ANY = () => true;
  const NEVER = () => false;

  /** A glob as fixed parts between stars, each a list of one-character tests; null: refused. */
  function compileGlob(text) {
    const pat = codePoints(text);
    if (pat.length === 0 || pat.length > MAX_PATTERN_LENGTH) return null;
    const parts = [[]];
    let wildcards = 0;
    let i = 0;
    const n = pat.length;
    while (i < n) {
      const c = pat[i];
      i += 1;
      if (c === STAR) {
        wildcards += 1;
        // A run of stars is one; a star after another part opens the next fixed part.
        if (parts.length === 1 || parts[parts.length - 1].length > 0) parts.push([]);
      } else if (c === QUESTION) {
        wildcards += 1;
        parts[parts.length - 1].push(ANY);
      } else if (c === OPEN) {
        let j = i;
        if (j < n && pat[j] === BANG) j += 1;
        if (j < n && pat[j] === CLOSE) j += 1;
        while (j < n && pat[j] !== CLOSE) j += 1;
        if (j >= n) {
          parts[parts.length - 1].push(literalTest(OPEN, false));
          continue;
        }
        wildcards += 1;
        let stuff = classText(pat, i, j);
        i = j + 1;
        let test;
        if (stuff.length === 0) {
          test = NEVER;
        } else if (stuff.length === 1 && stuff[0] === BANG) {
          test = ANY;
        } else {
          if (stuff[0] === BANG) stuff = [CARET].concat(stuff.slice(1));
          else if (stuff[0] === CARET || stuff[0] === OPEN) stuff = [BACKSLASH].concat(stuff);
          const { negate, items } = parseClass(stuff);
          if (items.some(({ low, high }) => within(UNSETTLED, low, high))) return null;
          test = items.length === 1 && items[0].literal
            ? literalTest(items[0].low, negate)
            : compileClass(negate, items);
        }
        parts[parts.length - 1].push(test);
      } else {
        parts[parts.length - 1].push(literalTest(c, false));
      }
    }
    if (wildcards > MAX_WILDCARDS) return null;
    return parts;
  }

  function fitsAt(part, xs, lowered, at) {
    for (let k = 0; k < part.length; k += 1) {
      if (!part[k](xs[at + k], lowered[at + k])) return false;
    }
    return true;
  }

  // fnmatch's "(?s:first(?>.*?middle)....*last)\Z" on code points.
  function globMatches(parts, xs, lowered) {
    const n = xs.length;
    const first = parts[0];
    if (parts.length === 1) return first.length === n && fitsAt(first, xs, lowered, 0);
    if (first.length > n || !fitsAt(first, xs, lowered, 0)) return false;
    let pos = first.length;
    for (let p = 1; p < parts.length - 1; p += 1) {
      const part = parts[p];
      let at = pos;
      while (at + part.length <= n && !fitsAt(part, xs, lowered, at)) at += 1;
      if (at + part.length > n) return false;
      pos = at + part.length;
    }
    const last = parts[parts.length - 1];
    const start = n - last.length;
    return start >= pos && fitsAt(last, xs, lowered, start);
  }

  function compileRule(rule) {
    if (typeof rule !== "string" || rule.length < 3) return null;
    const body = rule.slice(2);
    const cps = codePoints(body);
    if (cps.some((cp) => within(UNSETTLED, cp))) return null;
    if (rule.startsWith("s:")) {
      if (cps.length > MAX_NEEDLE_LENGTH) return null;
      return { needle: body, sigma: SIGMAS.some((sigma) => body.includes(sigma)) };
    }
    if (rule.startsWith("g:")) {
      const parts = compileGlob(body);
      return parts === null ? null : { parts };
    }
    return null;
  }

  function compile(rules) {
    const compiled = Array.isArray(rules) ? rules.map(compileRule) : [];
    return { rules: compiled, globs: compiled.some((rule) => rule !== null && rule.parts) };
  }

  // widget.core.rules.clip_title, by code points.
  function clip(chars) {
    if (chars.length <= MAX_TITLE_CHARACTERS) return chars;
    const half = MAX_TITLE_CHARACTERS / 2;
    return chars.slice(0, half).concat(["\n"], chars.slice(chars.length - half));
  }

  // Whether some "Σ" of the title lowers by a context that may read differently elsewhere.
  function unsettledSigma(chars, xs) {
    const settled = (i) => i < 0 || i >= xs.length || within(SETTLED_CONTEXT, xs[i]);
    for (let i = 0; i < xs.length; i += 1) {
      if (xs[i] !== CAPITAL_SIGMA) continue;
      let j = i - 1;
      while (j >= 0 && CASE_IGNORABLE.test(chars[j]) && settled(j)) j -= 1;
      if (!settled(j)) return true;
      j = i + 1;
      while (j < xs.length && CASE_IGNORABLE.test(chars[j]) && settled(j)) j += 1;
      if (!settled(j)) return true;
    }
    return false;
  }

  function hits(matcher, title) {
    if (typeof title !== "string" || title === "" || !matcher || !matcher.rules) return [];
    const chars = clip(Array.from(title));
    const xs = chars.map((char) => char.codePointAt(0));
    if (xs.some((cp) => within(UNSETTLED, cp))) return [];
    const lowerText = chars.join("").toLowerCase();
    const sigmaUnsure = xs.includes(CAPITAL_SIGMA) && unsettledSigma(chars, xs);
    const lowered = matcher.globs ? xs.map(lowerOf) : null;
    const found = [];
    matcher.rules.forEach((rule, index) => {
      if (rule === null) return;
      const hit = rule.parts ? globMatches(rule.parts, xs, lowered)
        : !(rule.sigma && sigmaUnsure) && lowerText.includes(rule.needle);
      if (hit) found.push(index);
    });
    return found;
  }

  driftcheckTitleEngine.built = { compile, hits };
  return driftcheckTitleEngine.built;
}
