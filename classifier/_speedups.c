/* Compiled twins of two numpy steps of the classifier's hot path (optional: see setup.py and
 * classifier/_compiled.py). The numpy versions spend most of their time in the fixed cost of
 * numpy calls (some thirty to hash the n-grams of one text: on a sentence of the framing detector
 * that is nearly all of it).
 *
 * hash_ngrams: the bucket ids of classifier._features.hash_ngrams_numpy, in the same order, with
 *   the same modular arithmetic (unsigned 64-bit overflow is arithmetic modulo 2**64 in C). The
 *   powers of P and the salts come from Python, so the hash has one definition.
 * fold_code_points: the code points of classifier._features.fold_punctuation's result (each
 *   code point below the table's size mapped by it, runs of spaces collapsed, one space at each
 *   end), straight from the str, without building the folded str.
 * count_substrings: str.count of several needles over a prefix of a str, in one pass.
 * class_counts: a bincount of code points by class, and the runs of "0" (structural features).
 * gather_sums: the per-column sums of the rows of a float32 table picked by bucket ids, added in
 *   double precision in id order (classifier._model).
 *
 * tests/test_speedups.py checks both against the numpy versions.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)0)
#endif
#define PREFETCH_AHEAD 32

/* A C-contiguous buffer of items of `itemsize` bytes whose struct format is one of `formats`
 * ("LQ": unsigned 64-bit; "lq": signed 64-bit; "f": float32). */
static int
get_buffer(PyObject *obj, Py_buffer *view, const char *name, const char *formats, Py_ssize_t itemsize)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    const char *format = view->format == NULL ? "B" : view->format;
    /* native order only: '@', '=', or the explicit mark of this machine's byte order */
#if PY_LITTLE_ENDIAN
    if (format[0] == '<' || format[0] == '=' || format[0] == '@')
#else
    if (format[0] == '>' || format[0] == '!' || format[0] == '=' || format[0] == '@')
#endif
        format++;
    if (view->itemsize != itemsize || format[0] == '\0' || format[1] != '\0' || strchr(formats, format[0]) == NULL) {
        PyErr_Format(PyExc_TypeError, "%s: expected a contiguous array of %zd-byte items of format '%s', got '%s'",
                     name, itemsize, formats, view->format == NULL ? "B" : view->format);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(hash_ngrams_doc,
"hash_ngrams(cp, pw, inv, char_lo, char_hi, word_lo, word_hi, bits, first_words,\n"
"            salt_char, salt_word, salt_first, mix) -> bytes\n\n"
"Bucket ids (int64, native byte order) of the char and word n-grams of a cleaned text given as\n"
"uint64 code points ``cp``; ``pw`` and ``inv`` hold P**i and P**-i modulo 2**64 (at least\n"
"len(cp) + 1 of each). Same result as classifier._features.hash_ngrams.");

static PyObject *
hash_ngrams(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *cp_obj, *pw_obj, *inv_obj;
    int char_lo, char_hi, word_lo, word_hi, bits, first_words;
    unsigned long long salt_char, salt_word, salt_first, mix;
    if (!PyArg_ParseTuple(args, "OOOiiiiipKKKK", &cp_obj, &pw_obj, &inv_obj, &char_lo, &char_hi, &word_lo,
                          &word_hi, &bits, &first_words, &salt_char, &salt_word, &salt_first, &mix))
        return NULL;
    if (bits < 1 || bits > 63) {
        PyErr_SetString(PyExc_ValueError, "bits must be 1 to 63");
        return NULL;
    }
    Py_buffer cpv, pwv, invv;
    if (get_buffer(cp_obj, &cpv, "cp", "LQ", 8) < 0)
        return NULL;
    if (get_buffer(pw_obj, &pwv, "pw", "LQ", 8) < 0) {
        PyBuffer_Release(&cpv);
        return NULL;
    }
    if (get_buffer(inv_obj, &invv, "inv", "LQ", 8) < 0) {
        PyBuffer_Release(&cpv);
        PyBuffer_Release(&pwv);
        return NULL;
    }
    PyObject *result = NULL;
    uint64_t *prefix = NULL;
    Py_ssize_t *spaces = NULL;
    const uint64_t *cp = (const uint64_t *)cpv.buf;
    const uint64_t *pw = (const uint64_t *)pwv.buf;
    const uint64_t *inv = (const uint64_t *)invv.buf;
    const Py_ssize_t n = cpv.len / 8;
    if (pwv.len / 8 < n + 1 || invv.len / 8 < n + 1) {
        PyErr_Format(PyExc_ValueError, "text of %zd code points is longer than the power tables", n);
        goto done;
    }
    prefix = (uint64_t *)malloc((size_t)(n + 1) * sizeof(uint64_t));
    spaces = (Py_ssize_t *)malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    if (prefix == NULL || spaces == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* prefix[i] = sum_{j<i} cp[j] * P**-j ; hash(s, e) = (prefix[e] - prefix[s]) * P**(e-1) */
    Py_ssize_t n_spaces = 0;
    prefix[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        prefix[i + 1] = prefix[i] + cp[i] * inv[i];
        if (cp[i] == 32)
            spaces[n_spaces++] = i;
    }
    const Py_ssize_t words = n_spaces - 1;
    /* sizes past the text (or its words) give no n-grams: the loops stop there */
    const Py_ssize_t char_top = char_hi < n ? char_hi : n, word_top = word_hi < words ? word_hi : words;
    Py_ssize_t total = 0;
    for (Py_ssize_t size = char_lo < 1 ? 1 : char_lo; size <= char_top; size++)
        total += n - size + 1;
    for (Py_ssize_t size = word_lo < 1 ? 1 : word_lo; size <= word_top; size++)
        total += words - size + 1 + (first_words ? 1 : 0);
    result = PyBytes_FromStringAndSize(NULL, total * 8);
    if (result == NULL)
        goto done;
    uint64_t *out = (uint64_t *)PyBytes_AS_STRING(result);
    const unsigned shift = (unsigned)(64 - bits);
    const uint64_t m = (uint64_t)mix;
    Py_ssize_t at = 0;
    for (Py_ssize_t size = char_lo < 1 ? 1 : char_lo; size <= char_top; size++) {
        for (Py_ssize_t s = 0; s + size <= n; s++) {
            uint64_t h = ((prefix[s + size] - prefix[s]) * pw[s + size - 1]) ^ (uint64_t)salt_char;
            out[at++] = (h * m) >> shift;
        }
    }
    for (Py_ssize_t size = word_lo < 1 ? 1 : word_lo; size <= word_top; size++) {
        const uint64_t word_salt = (uint64_t)salt_word + (uint64_t)size;
        for (Py_ssize_t j = 0; j + size <= words; j++) {
            /* words j .. j+size-1: from after spaces[j] to spaces[j+size] */
            const Py_ssize_t end = spaces[j + size];
            uint64_t h = (prefix[end] - prefix[spaces[j] + 1]) * pw[end - 1];
            if (j == 0 && first_words) {
                /* the opening words, unsalted as words, come after the n-grams of this size */
                out[at + words - size + 1] = ((h ^ ((uint64_t)salt_first + (uint64_t)size)) * m) >> shift;
            }
            out[at + j] = ((h ^ word_salt) * m) >> shift;
        }
        at += words - size + 1 + (first_words ? 1 : 0);
    }
done:
    free(prefix);
    free(spaces);
    PyBuffer_Release(&cpv);
    PyBuffer_Release(&pwv);
    PyBuffer_Release(&invv);
    return result;
}

PyDoc_STRVAR(fold_code_points_doc,
"fold_code_points(text, table) -> bytes\n\n"
"The code points (uint64, native byte order) of ``text`` with each code point below len(table)\n"
"(uint32) replaced by its entry, runs of spaces (32) collapsed into one, none at the start or\n"
"end, then one space added at each end. Same result as the code points of\n"
"classifier._features.fold_punctuation(text).");

static PyObject *
fold_code_points(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *text, *table_obj;
    if (!PyArg_ParseTuple(args, "UO", &text, &table_obj)) /* "U" readies a legacy str too */
        return NULL;
    Py_buffer tv;
    if (get_buffer(table_obj, &tv, "table", "IL", 4) < 0)
        return NULL;
    const uint32_t *table = (const uint32_t *)tv.buf;
    const Py_ssize_t table_size = tv.len / 4;
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    uint64_t *buf = n > PY_SSIZE_T_MAX / 8 - 2 ? NULL : (uint64_t *)malloc((size_t)(n + 2) * sizeof(uint64_t));
    if (buf == NULL) {
        PyBuffer_Release(&tv);
        return PyErr_NoMemory();
    }
    Py_ssize_t at = 0;
    buf[at++] = 32;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t c = PyUnicode_READ(kind, data, i);
        if (c < (uint64_t)table_size)
            c = table[c];
        if (c == 32 && buf[at - 1] == 32)
            continue; /* a space after a space, or opening the text */
        buf[at++] = c;
    }
    if (at == 1 || buf[at - 1] != 32)
        buf[at++] = 32; /* closing space; an empty text folds to two spaces */
    PyObject *result = PyBytes_FromStringAndSize((const char *)buf, at * (Py_ssize_t)sizeof(uint64_t));
    free(buf);
    PyBuffer_Release(&tv);
    return result;
}

PyDoc_STRVAR(gather_sums_doc,
"gather_sums(table, ids) -> (float, float, float, float)\n\n"
"Sums over ``ids`` (int64) of the rows of ``table`` (float32, four per row), per column, added in\n"
"double precision in the order of ``ids``. Raises IndexError for an id outside the table.");

static PyObject *
gather_sums(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *table_obj, *ids_obj;
    if (!PyArg_ParseTuple(args, "OO", &table_obj, &ids_obj))
        return NULL;
    Py_buffer tv, iv;
    if (get_buffer(table_obj, &tv, "table", "f", 4) < 0)
        return NULL;
    if (get_buffer(ids_obj, &iv, "ids", "lq", 8) < 0) {
        PyBuffer_Release(&tv);
        return NULL;
    }
    PyObject *result = NULL;
    if (tv.ndim != 2 || tv.shape[1] != 4) {
        PyErr_SetString(PyExc_ValueError, "table: expected rows of four float32");
        goto done;
    }
    const float *table = (const float *)tv.buf;
    const int64_t *ids = (const int64_t *)iv.buf;
    const Py_ssize_t rows = tv.len / 16, n = iv.len / 8;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        const int64_t id = ids[i];
        /* the table (1 MB) does not stay in a core's cache between prompts: ask for rows ahead */
        if (i + PREFETCH_AHEAD < n && ids[i + PREFETCH_AHEAD] >= 0 && ids[i + PREFETCH_AHEAD] < rows)
            PREFETCH(table + 4 * ids[i + PREFETCH_AHEAD]);
        if (id < 0 || id >= rows) {
            PyErr_Format(PyExc_IndexError, "bucket id %lld outside a table of %zd rows", (long long)id, rows);
            goto done;
        }
        const float *row = table + 4 * id;
        s0 += row[0];
        s1 += row[1];
        s2 += row[2];
        s3 += row[3];
    }
    result = Py_BuildValue("(dddd)", s0, s1, s2, s3);
done:
    PyBuffer_Release(&tv);
    PyBuffer_Release(&iv);
    return result;
}

/* A tuple of the first `k` counts, as Python ints. */
static PyObject *
counts_tuple(const Py_ssize_t *counts, Py_ssize_t k)
{
    PyObject *result = PyTuple_New(k);
    if (result == NULL)
        return NULL;
    for (Py_ssize_t j = 0; j < k; j++) {
        PyObject *count = PyLong_FromSsize_t(counts[j]);
        if (count == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyTuple_SET_ITEM(result, j, count);
    }
    return result;
}

#define MAX_NEEDLES 64

PyDoc_STRVAR(count_substrings_doc,
"count_substrings(text, end, needles) -> tuple[int, ...]\n\n"
"How often each needle (a tuple of non-empty str, each opening with an ASCII character) occurs in\n"
"text[:end], without overlaps, as text[:end].count(needle) counts, in one pass over the text.");

static PyObject *
count_substrings(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *text, *needles;
    Py_ssize_t end;
    if (!PyArg_ParseTuple(args, "UnO!", &text, &end, &PyTuple_Type, &needles))
        return NULL;
    const Py_ssize_t k = PyTuple_GET_SIZE(needles);
    if (k > MAX_NEEDLES) {
        PyErr_Format(PyExc_ValueError, "at most %d needles", MAX_NEEDLES);
        return NULL;
    }
    int needle_kind[MAX_NEEDLES];
    const void *needle_data[MAX_NEEDLES];
    Py_ssize_t needle_len[MAX_NEEDLES], counts[MAX_NEEDLES], next[MAX_NEEDLES];
    Py_UCS4 first[MAX_NEEDLES];
    uint64_t opens[2] = {0, 0}; /* the ASCII characters some needle opens with */
    for (Py_ssize_t j = 0; j < k; j++) {
        PyObject *needle = PyTuple_GET_ITEM(needles, j);
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_Check(needle) && PyUnicode_READY(needle) < 0)
            return NULL;
#endif
        if (!PyUnicode_Check(needle) || PyUnicode_GET_LENGTH(needle) == 0) {
            PyErr_SetString(PyExc_ValueError, "needles must be non-empty str");
            return NULL;
        }
        needle_kind[j] = PyUnicode_KIND(needle);
        needle_data[j] = PyUnicode_DATA(needle);
        needle_len[j] = PyUnicode_GET_LENGTH(needle);
        first[j] = PyUnicode_READ(needle_kind[j], needle_data[j], 0);
        if (first[j] >= 128) {
            PyErr_SetString(PyExc_ValueError, "needles must open with an ASCII character");
            return NULL;
        }
        opens[first[j] >> 6] |= (uint64_t)1 << (first[j] & 63);
        counts[j] = next[j] = 0;
    }
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (end < 0) /* as text[:end] reads it */
        end = end < -n ? 0 : n + end;
    if (end < n)
        n = end;
    for (Py_ssize_t i = 0; i < n; i++) {
        const Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= 128 || !(opens[c >> 6] >> (c & 63) & 1))
            continue;
        for (Py_ssize_t j = 0; j < k; j++) {
            if (first[j] != c || i < next[j] || i + needle_len[j] > n)
                continue;
            Py_ssize_t m = 1;
            while (m < needle_len[j] &&
                   PyUnicode_READ(kind, data, i + m) == PyUnicode_READ(needle_kind[j], needle_data[j], m))
                m++;
            if (m == needle_len[j]) {
                counts[j]++;
                next[j] = i + m;
            }
        }
    }
    return counts_tuple(counts, k);
}

#define MAX_CLASSES 16

PyDoc_STRVAR(class_counts_doc,
"class_counts(cp, table, n_classes) -> (tuple[int, ...], int)\n\n"
"How many code points ``cp`` (uint64) fall in each class 0 .. n_classes - 1 of ``table`` (int64;\n"
"code points past it take its last entry), and how many runs of ``0`` (48) start after the first\n"
"code point.");

static PyObject *
class_counts(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *cp_obj, *table_obj;
    int n_classes;
    if (!PyArg_ParseTuple(args, "OOi", &cp_obj, &table_obj, &n_classes))
        return NULL;
    if (n_classes < 1 || n_classes > MAX_CLASSES) {
        PyErr_Format(PyExc_ValueError, "n_classes must be 1 to %d", MAX_CLASSES);
        return NULL;
    }
    Py_buffer cpv, tv;
    if (get_buffer(cp_obj, &cpv, "cp", "LQ", 8) < 0)
        return NULL;
    if (get_buffer(table_obj, &tv, "table", "lq", 8) < 0) {
        PyBuffer_Release(&cpv);
        return NULL;
    }
    PyObject *result = NULL, *classes = NULL;
    const uint64_t *cp = (const uint64_t *)cpv.buf;
    const int64_t *table = (const int64_t *)tv.buf;
    const Py_ssize_t n = cpv.len / 8, size = tv.len / 8;
    Py_ssize_t counts[MAX_CLASSES] = {0}, runs = 0;
    if (size == 0) {
        PyErr_SetString(PyExc_ValueError, "empty class table");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        const int64_t cls = table[cp[i] < (uint64_t)size ? (Py_ssize_t)cp[i] : size - 1];
        if (cls < 0 || cls >= n_classes) {
            PyErr_Format(PyExc_ValueError, "class %lld outside 0 .. %d", (long long)cls, n_classes - 1);
            goto done;
        }
        counts[cls]++;
        runs += i > 0 && cp[i] == 48 && cp[i - 1] != 48;
    }
    classes = counts_tuple(counts, n_classes);
    if (classes != NULL)
        result = Py_BuildValue("(On)", classes, runs);
done:
    Py_XDECREF(classes);
    PyBuffer_Release(&cpv);
    PyBuffer_Release(&tv);
    return result;
}

static PyMethodDef methods[] = {
    {"hash_ngrams", hash_ngrams, METH_VARARGS, hash_ngrams_doc},
    {"fold_code_points", fold_code_points, METH_VARARGS, fold_code_points_doc},
    {"count_substrings", count_substrings, METH_VARARGS, count_substrings_doc},
    {"class_counts", class_counts, METH_VARARGS, class_counts_doc},
    {"gather_sums", gather_sums, METH_VARARGS, gather_sums_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "classifier._speedups",
    .m_doc = "Compiled twins of hot numpy steps (see classifier._compiled).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
