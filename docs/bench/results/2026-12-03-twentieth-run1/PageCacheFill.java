import java.nio.*; import java.nio.channels.*; import java.nio.file.*; import java.util.concurrent.*; import java.util.concurrent.atomic.*;
/**
 * Writes 512 MiB into a new file with 1 and with 2 threads (1 MiB pwrites at disjoint offsets), ROUNDS times, keeping
 * every file, and prints the time of the writes and of the fsync. Usage: java PageCacheFill.java ROUNDS DIR
 */
public class PageCacheFill {
  public static void main(String[] a) throws Exception {
    int rounds = Integer.parseInt(a[0]); long size = 512L<<20; int chunk = 1<<20;
    Path dir = Path.of(a[1]);
    for (int r = 0; r < rounds; r++) for (int n : new int[]{1,2}) {
      Path p = dir.resolve("f"+n+"_"+r);
      Thread.sleep(500);
      long t0 = System.nanoTime();
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        AtomicLong next = new AtomicLong();
        Thread[] ts = new Thread[n];
        for (int i = 0; i < n; i++) { ts[i] = new Thread(() -> { ByteBuffer b = ByteBuffer.allocateDirect(chunk); try { for (long k; (k = next.getAndIncrement()) * chunk < size;) { b.clear(); long pos = k*chunk; while (b.hasRemaining()) pos += ch.write(b, pos); } } catch (Exception e) { throw new RuntimeException(e);} }); ts[i].start(); }
        for (Thread t : ts) t.join();
        long t1 = System.nanoTime();
        ch.force(false);
        long t2 = System.nanoTime();
        System.out.printf("round %d threads %d write %.0f ms fsync %.0f ms%n", r, n, (t1-t0)/1e6, (t2-t1)/1e6);
      }
      
    }
  }
}
