public class Hash {
    public static void main(String[] a) {
        byte[] hash = at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hash(10, a[1].toCharArray());
        System.out.println(a[0] + ":" + new String(hash));
    }
}
