"""Bytes each named database (table) of an LMDB environment occupies, read with liblmdb's mdb_stat through ctypes.

    python3 bench/ann/table_sizes.py DB_FOLDER      prints {"table": bytes, ...}
"""
import ctypes, ctypes.util, json, sys


class MDBVal(ctypes.Structure):
    _fields_ = [("mv_size", ctypes.c_size_t), ("mv_data", ctypes.c_void_p)]


class MDBStat(ctypes.Structure):
    _fields_ = [("ms_psize", ctypes.c_uint), ("ms_depth", ctypes.c_uint), ("ms_branch_pages", ctypes.c_size_t),
                ("ms_leaf_pages", ctypes.c_size_t), ("ms_overflow_pages", ctypes.c_size_t), ("ms_entries", ctypes.c_size_t)]


def table_sizes(folder):
    lib = ctypes.CDLL(ctypes.util.find_library("lmdb") or "liblmdb.so.0")
    env, txn, cursor = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
    MDB_RDONLY, MDB_NEXT = 0x20000, 8

    def check(rc, what):
        if rc != 0:
            raise RuntimeError(f"{what}: {ctypes.string_at(lib.mdb_strerror(rc)).decode()}")
    lib.mdb_strerror.restype = ctypes.c_char_p
    check(lib.mdb_env_create(ctypes.byref(env)), "mdb_env_create")
    check(lib.mdb_env_set_maxdbs(env, 64), "mdb_env_set_maxdbs")
    check(lib.mdb_env_set_mapsize(env, ctypes.c_size_t(1 << 40)), "mdb_env_set_mapsize")
    check(lib.mdb_env_open(env, folder.encode(), MDB_RDONLY, 0o600), "mdb_env_open")
    check(lib.mdb_txn_begin(env, None, MDB_RDONLY, ctypes.byref(txn)), "mdb_txn_begin")
    main = ctypes.c_uint()
    check(lib.mdb_dbi_open(txn, None, 0, ctypes.byref(main)), "mdb_dbi_open")
    check(lib.mdb_cursor_open(txn, main, ctypes.byref(cursor)), "mdb_cursor_open")
    key, data, sizes = MDBVal(), MDBVal(), {}
    names = []
    while lib.mdb_cursor_get(cursor, ctypes.byref(key), ctypes.byref(data), MDB_NEXT) == 0:
        names.append(ctypes.string_at(key.mv_data, key.mv_size))
    lib.mdb_cursor_close(cursor)
    for name in names:
        dbi, stat = ctypes.c_uint(), MDBStat()
        if lib.mdb_dbi_open(txn, name, 0, ctypes.byref(dbi)) != 0:
            continue  # a key of the main database that is not a table
        check(lib.mdb_stat(txn, dbi, ctypes.byref(stat)), "mdb_stat")
        pages = stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages
        sizes[name.decode()] = pages * stat.ms_psize
    lib.mdb_txn_abort(txn)
    lib.mdb_env_close(env)
    return sizes


if __name__ == "__main__":
    print(json.dumps(table_sizes(sys.argv[1])))
