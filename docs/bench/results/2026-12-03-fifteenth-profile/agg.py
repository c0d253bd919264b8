import sys,collections
f=sys.argv[1]; filt=sys.argv[2] if len(sys.argv)>2 else ''; n=int(sys.argv[3]) if len(sys.argv)>3 else 40
tot=0; sel=0; selfc=collections.Counter(); incl=collections.Counter(); threads=collections.Counter()
for line in open(f):
    st,_,c=line.rstrip().rpartition(' '); c=int(c); tot+=c
    fr=st.split(';')
    threads[fr[0][:30]]+=c
    if filt and filt not in st: continue
    sel+=c; selfc[fr[-1]]+=c
    for x in set(fr): incl[x]+=c
print('total',tot,'selected',sel)
print('--threads'); [print(v,k) for k,v in threads.most_common(8)]
print('--self'); [print(round(100*v/sel,1),k[:150]) for k,v in selfc.most_common(n)]
print('--inclusive'); [print(round(100*v/sel,1),k[:150]) for k,v in incl.most_common(n*2) if 'io/lading' in k or 'sqlite' in k.lower() or 'jetty' in k.lower()]
