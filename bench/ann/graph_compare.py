#!/usr/bin/env python3
"""Diagnostic: replays the same search (greedy descent + layer-0 beam search, counting distance computations) on
hnswlib's saved graph and on vecdb's LMDB graph built by run.py, to tell graph quality apart from per-distance cost.
Needs `pip install lmdb` in bench/.venv. Usage: bench/.venv/bin/python bench/ann/graph_compare.py
"""
import struct, heapq, numpy as np, lmdb, sys
import os
O=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'out') + '/'
base=np.fromfile(O+'ann-50000.base.f32',dtype=np.float32).reshape(-1,384)
Q=np.fromfile(O+'ann-50000.queries.f32',dtype=np.float32).reshape(-1,384)[:200]
N=len(base)
# --- hnswlib graph
f=open(O+'ann-50000.hnswlib','rb').read()
off=0
def rd(fmt):
    global off; v=struct.unpack_from(fmt,f,off); off+=struct.calcsize(fmt); return v[0]
offL0=rd('Q'); maxel=rd('Q'); cnt=rd('Q'); sz=rd('Q'); laboff=rd('Q'); offData=rd('Q'); maxlevel=rd('i'); ep=rd('I'); maxM=rd('Q'); maxM0=rd('Q'); M=rd('Q'); mult=rd('d'); efc=rd('Q')
l0=np.frombuffer(f,dtype=np.uint8,count=maxel*sz,offset=off).reshape(maxel,sz); off+=maxel*sz
labels=l0[:,laboff:laboff+8].copy().view(np.uint64).ravel()
h0=[]
for i in range(cnt):
    c=int(l0[i,0:4].view(np.uint32)[0]) & 0xffff
    h0.append(l0[i,4:4+4*c].view(np.uint32).copy())
hup={}
for i in range(cnt):
    s=struct.unpack_from('I',f,off)[0]; off+=4
    if s:
        b=f[off:off+s]; off+=s; lv=[]
        per=maxM*4+4
        for l in range(s//per):
            c=struct.unpack_from('I',b,l*per)[0]&0xffff
            lv.append(np.frombuffer(b,dtype=np.uint32,count=c,offset=l*per+4))
        hup[i]=lv
hvec=l0[:cnt,offData:offData+384*4].copy().view(np.float32)
print('hnswlib maxlevel',maxlevel,'avg deg0',np.mean([len(x) for x in h0]))
# --- ours
env=lmdb.open(O+'ann-50000.vecdb',readonly=True,lock=False,max_dbs=16,subdir=True)
db=env.open_db(b'hnsw')
with env.begin() as t:
    meta=t.get(b'\0\0\0\1\0',db=db)
    dims,Mo=struct.unpack_from('<II',meta,4)[0],struct.unpack_from('<I',meta,8)[0]
    ent,maxl,nodes=struct.unpack_from('<III',meta,32)
    M0=2*Mo; R=4+4*M0+16; UR=4+4*Mo
    def blk(kind,b): return t.get(b'\0\0\0\1'+bytes([kind])+struct.pack('>I',b),db=db)
    o0=[];olv=[];ous=[];odoc=[]
    nb=(nodes+1023)//1024
    for b in range(nb):
        L=blk(2,b)
        for s in range(1024):
            n=b*1024+s
            if n>=nodes: break
            r=L[s*R:(s+1)*R]; c=struct.unpack_from('<I',r,0)[0]
            o0.append(np.frombuffer(r,dtype=np.uint32,count=c,offset=4).copy())
            lv,fl=r[4+4*M0],r[5+4*M0]; us=struct.unpack_from('<I',r,8+4*M0)[0]; d=struct.unpack_from('<Q',r,12+4*M0)[0]
            olv.append(lv); ous.append(us); odoc.append(d)
    ub=[blk(3,b) for b in range((max(ous)+64)//1024+1)]
    def oup(n,l):
        rr=ous[n]+l-1; B=ub[rr//1024]; o=(rr%1024)*UR; c=struct.unpack_from('<I',B,o)[0]
        return np.frombuffer(B,dtype=np.uint32,count=c,offset=o+4)
ovec=base[np.array(odoc)]
print('ours maxlevel',maxl,'avg deg0',np.mean([len(x) for x in o0]))
def search(q,vec,ep,maxlevel,nb0,nbup,ef):
    cnt=0
    d=-float(vec[ep]@q); cnt+=1; cur=ep
    for l in range(maxlevel,0,-1):
        ch=True
        while ch:
            ch=False
            for m in nbup(cur,l):
                dd=-float(vec[m]@q); cnt+=1
                if dd<d: d,cur,ch=dd,m,True
    vis={cur}; C=[(d,cur)]; W=[(-d,cur)]
    while C:
        cd,c=heapq.heappop(C)
        if cd> -W[0][0] and len(W)>=ef: break
        for m in nb0[c]:
            m=int(m)
            if m in vis: continue
            vis.add(m); dd=-float(vec[m]@q); cnt+=1
            if len(W)<ef or dd< -W[0][0]:
                heapq.heappush(C,(dd,m)); heapq.heappush(W,(-dd,m))
                if len(W)>ef: heapq.heappop(W)
    return cnt
for ef in (10,40):
    hc=np.mean([search(q,hvec,ep,maxlevel,h0,lambda n,l: hup[n][l-1],ef) for q in Q])
    oc=np.mean([search(q,ovec,ent,maxl,o0,oup,ef) for q in Q])
    print('ef',ef,'distances/query hnswlib graph',hc,'ours',oc)
