import VecDB
print("vecdb")
